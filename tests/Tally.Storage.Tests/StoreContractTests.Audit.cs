using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

/// <summary>The audit read: stored balances beside the ledger's fold, per customer, in creation order, a batch at a time.</summary>
public abstract partial class StoreContractTests
{
    private static LedgerEvent Moved(string id, string customerId, params SourceDelta[] deltas) =>
        Event(id, customerId, "messages", deltas.Sum(d => d.Value), T0) with { Deltas = deltas };

    [StoreFact]
    public async Task Audit_batches_read_balances_and_the_folded_ledger_in_creation_order()
    {
        // c1 is consistent (grant 100, use 30, a rollover of 0.3 granted then untouched); c2 holds 5 but its ledger says 4.
        await CreateCustomerAsync(Store, "c1", with: w =>
        {
            w.Put(Source("src_a", w.TakeSeq(), T0, balance: 70m, entityId: "e1"));
            w.Put(Rollover("r1", "src_a", T0));
            w.Append(Moved("ev1", "c1", Delta("src_a", -100m, T0), Delta("src_a", -0.3m, T0) with { RolloverId = "r1" }));
        });
        await MutateAsync(Store, "c1", w =>
        {
            w.Append(Moved("ev2", "c1", Delta("src_a", 30m, T0)));
            return true;
        });
        await CreateCustomerAsync(Store, "c2", with: w =>
        {
            w.Put(Source("src_b", w.TakeSeq(), T0, balance: 5m, featureId: "seats"));
            w.Append(Moved("ev3", "c2", Delta("src_b", -4m, T0)));
        });
        await CreateCustomerAsync(Store, "c3");
        var audit = (IAuditStore)Store;

        var first = await audit.ReadAuditBatchAsync(Tenant, 0, 2, null, default);
        var rest = await audit.ReadAuditBatchAsync(Tenant, first[^1].Seq, 2, null, default);

        Assert.Equal(["c1", "c2"], first.Select(c => c.CustomerId));
        Assert.Equal(["c3"], rest.Select(c => c.CustomerId));
        Assert.Empty(await audit.ReadAuditBatchAsync(Tenant, rest[^1].Seq, 2, null, default));
        var c1 = first[0];
        Assert.Equal(70m, c1.Ledger[new LedgerKey("src_a", null)]);
        Assert.Equal(0.3m, c1.Ledger[new LedgerKey("src_a", "r1")]);
        Assert.Contains(new StoredBalance("src_a", "r1", "messages", "e1", 0.3m), c1.Balances);
        Assert.Empty(BalanceAudit.Compare(c1.CustomerId, c1.Balances, c1.Ledger));
        var diff = Assert.Single(BalanceAudit.Compare(first[1].CustomerId, first[1].Balances, first[1].Ledger));
        Assert.Equal(new AuditDifference("c2", "seats", null, "src_b", null, 5m, 4m), diff);
        Assert.Empty(rest[0].Balances);
    }

    [StoreFact]
    public async Task Audit_of_one_customer_reads_only_it_and_nothing_of_another_tenant()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_a", w.TakeSeq(), T0, balance: 1m)));
        await CreateCustomerAsync(Store, "c2");
        await CreateCustomerAsync(Store, "c1", tenant: LiveTenant);
        var audit = (IAuditStore)Store;

        var one = Assert.Single(await audit.ReadAuditBatchAsync(Tenant, 0, 500, "c1", default));
        Assert.Equal("c1", one.CustomerId);
        Assert.Single(one.Balances);
        Assert.Empty(await audit.ReadAuditBatchAsync(Tenant, 0, 500, "ghost", default));
        Assert.Empty(Assert.Single(await audit.ReadAuditBatchAsync(LiveTenant, 0, 500, null, default)).Balances);
    }

    /// <summary>Runs one statement against the store's database directly: how a test corrupts a row on purpose.</summary>
    protected abstract Task<int> ExecuteSqlAsync(string sql);

    [StoreFact]
    public async Task Audit_reads_the_usage_rollup_beside_the_ledgers_tracks_and_a_tampered_hour_differs()
    {
        var hour = UsageRollup.HourOf(T0.ToUnixTimeMilliseconds());
        await CreateCustomerAsync(Store, "c1", with: w =>
        {
            w.Append(Event("ev1", "c1", "messages", 3m, T0));
            w.Append(Event("ev2", "c1", "messages", 0.1m, T0.AddMinutes(10)));
            w.Append(Event("ev3", "c1", "messages", 0.2m, T0.AddMinutes(20)));
            w.Append(Event("ev4", "c1", "messages", 4m, T0, entityId: "e1"));
            w.Append(Event("ev5", "c1", "messages", -1m, T0.AddHours(2)));
            w.Append(Event("ev6", "c1", "messages", 100m, T0, kind: LedgerKind.Grant));
        });
        var audit = (IAuditStore)Store;

        var clean = Assert.Single(await audit.ReadAuditBatchAsync(Tenant, 0, 500, "c1", default));
        Assert.Equal(new RollupTotals(3, 3.3m), clean.LedgerRollup[new RollupKey("messages", hour, "")]);
        Assert.Equal(new RollupTotals(1, 4m), clean.LedgerRollup[new RollupKey("messages", hour, "e1")]);
        Assert.Equal(new RollupTotals(1, -1m), clean.LedgerRollup[new RollupKey("messages", hour + UsageRollup.HourMs * 2, "")]);
        Assert.Equal(3, clean.LedgerRollup.Count);
        Assert.Equal(3, clean.Rollup.Count);
        Assert.Empty(RollupAudit.Compare("c1", clean.Rollup, clean.LedgerRollup, audit.RollupSumTolerance));

        Assert.Equal(1, await ExecuteSqlAsync($"UPDATE usage_hourly SET sum = 99 WHERE customer_id = 'c1' AND entity_id = '' AND hour = {hour}"));
        Assert.Equal(1, await ExecuteSqlAsync("DELETE FROM usage_hourly WHERE customer_id = 'c1' AND entity_id = 'e1'"));
        var tampered = Assert.Single(await audit.ReadAuditBatchAsync(Tenant, 0, 500, null, default));

        var diffs = RollupAudit.Compare("c1", tampered.Rollup, tampered.LedgerRollup, audit.RollupSumTolerance);
        Assert.Equal(
            [
                new RollupDifference("c1", new RollupKey("messages", hour, ""), new RollupTotals(3, 99m), new RollupTotals(3, 3.3m)),
                new RollupDifference("c1", new RollupKey("messages", hour, "e1"), default, new RollupTotals(1, 4m)),
            ], diffs);
    }

    [StoreFact]
    public async Task Rollup_of_units_with_many_events_in_few_hours_adds_up_to_the_ledger()
    {
        // A batch_track-sized unit: many rows share each (name, hour, entity), with values of mixed scale and sign.
        var random = new Random(17);
        string[] names = ["messages", "tokens"];
        string?[] entities = [null, "e1"];
        var made = new List<LedgerEvent>();
        LedgerEvent Next()
        {
            made.Add(Event($"ev{made.Count}", "c1", names[random.Next(2)], random.Next(-5, 50) / (decimal)Math.Pow(10, random.Next(4)),
                T0.AddMinutes(random.Next(0, 180)), entityId: entities[random.Next(2)], kind: random.Next(10) == 0 ? LedgerKind.Grant : LedgerKind.Track));
            return made[^1];
        }
        await CreateCustomerAsync(Store, "c1", with: w =>
        {
            for (var i = 0; i < 300; i++)
            {
                w.Append(Next());
            }
        });
        await MutateAsync(Store, "c1", w =>
        {
            for (var i = 0; i < 300; i++)
            {
                w.Append(Next());
            }
            return true;
        });
        var expected = new Dictionary<RollupKey, RollupTotals>();
        foreach (var e in made)
        {
            RollupAudit.Fold(expected, e.Kind.ToString(), e.EventName, e.Timestamp.ToUnixTimeMilliseconds(), e.EntityId, e.Value);
        }
        var audit = (IAuditStore)Store;

        var read = Assert.Single(await audit.ReadAuditBatchAsync(Tenant, 0, 500, "c1", default));

        Assert.True(expected.Count >= 10);
        Assert.Equal(expected.OrderBy(kv => kv.Key.ToString()), read.LedgerRollup.OrderBy(kv => kv.Key.ToString()));
        Assert.Equal(expected.Keys.OrderBy(k => k.ToString()).Select(k => (k, expected[k].Count)), read.Rollup.Keys.OrderBy(k => k.ToString()).Select(k => (k, read.Rollup[k].Count)));
        Assert.Empty(RollupAudit.Compare("c1", read.Rollup, expected, audit.RollupSumTolerance));
    }
}
