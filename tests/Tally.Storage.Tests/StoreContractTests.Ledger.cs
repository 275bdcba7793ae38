using Tally.Core.Storage;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

public abstract partial class StoreContractTests
{
    /// <summary>
    /// A unit carrying more ledger rows than one multi-row insert holds (as a batch_track does) commits every row with
    /// every field, in the order appended, and nothing else.
    /// </summary>
    [StoreFact]
    public async Task A_unit_with_many_events_reads_back_every_row_in_order_after_reopen()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 1000m)));
        var rng = new Random(17);
        // 64 + 8 + 3: every statement size the SQLite writer uses, and the single rows after them.
        var written = Enumerable.Range(0, 75).Select(i =>
        {
            var e = Event($"evt_{i:D3}", "c1", i % 3 == 0 ? "messages" : "calls", rng.Next(1, 100_000) / 100m, T0.AddSeconds(i),
                entityId: i % 4 == 0 ? $"ent_{i}" : null, idempotencyKey: i % 5 == 0 ? $"idem_{i}" : null);
            return i % 2 == 0 ? e : e with { PropertiesJson = $$"""{"i": {{i}}}""" };
        }).ToList();

        var result = await MutateAsync(Store, "c1", w =>
        {
            foreach (var e in written)
            {
                w.Append(e);
            }
            return true;
        });
        Assert.Equal(StoreOutcome.Done, result.Outcome);
        await ReopenAsync();

        var read = (await EventsOfAsync(Store, "c1")).OrderBy(e => e.Seq).ToList();
        Assert.Equal(written.Select(e => e.Id), read.Select(e => e.Id));
        for (var i = 0; i < written.Count; i++)
        {
            var (e, got) = (written[i], read[i]);
            Assert.Equal((e.Kind, e.CustomerId, e.EntityId, e.EventName, e.Value, e.Timestamp, e.IdempotencyKey),
                (got.Kind, got.CustomerId, got.EntityId, got.EventName, got.Value, got.Timestamp, got.IdempotencyKey));
            Assert.Equal(e.PropertiesJson, got.PropertiesJson);
            Assert.Equal(e.Deltas, got.Deltas);
        }
    }
}
