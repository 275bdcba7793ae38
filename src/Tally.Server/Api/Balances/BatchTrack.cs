using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Http;

using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Api.Balances;

/// <summary>
/// balances.batch_track: every item is validated before anything is applied (one bad item → 400 naming its index);
/// then the items of each customer are applied in order in one unit of work. An item that reject-mode cannot
/// cover is skipped, as Autumn's queue does; the answer is 202 {success: true}.
/// </summary>
internal static class BatchTrack
{
    public const int MaxItems = 1000;

    public static async Task<Reply> Handle(Call<List<TrackParams>> call)
    {
        var t = call.Tenant;
        var items = call.Request;
        if (items.Count is 0 or > MaxItems)
        {
            return Errors.Invalid(t, $"body: must be an array of 1 to {MaxItems} track requests");
        }
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        var features = new IReadOnlyList<Feature>[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                return Errors.Invalid(t, $"[{i}]: must be an object");
            }
            var (f, error) = Track.Validate(t, items[i], catalog, $"[{i}].");
            if (error is not null)
            {
                return error;
            }
            if (items[i].Lock is { Enabled: true })
            {
                return Errors.Invalid(t, $"[{i}].lock: locks are not accepted in batch_track; use balances.track");
            }
            if (items[i].Timestamp is { } ts && ts > call.Clock.Now.ToUnixTimeMilliseconds())
            {
                return Errors.Invalid(t, $"[{i}].timestamp: cannot be in the future");
            }
            features[i] = f!;
        }

        var header = call.Http.Request.Headers["Idempotency-Key"].ToString();
        var groups = Enumerable.Range(0, items.Count).GroupBy(i => items[i].CustomerId).ToList();
        // Existence first, so a batch naming an unknown customer or entity changes nothing.
        foreach (var g in groups)
        {
            var entities = g.Select(i => items[i].EntityId).OfType<string>().Distinct().ToList();
            var check = await call.Store.MutateCustomerAsync(t, g.Key, (state, _) =>
                Units.Fail(state is null ? Errors.CustomerNotFound(t, g.Key)
                    : entities.FirstOrDefault(e => state.FindEntity(e) is null) is { } missing ? Errors.EntityNotFound(t, missing)
                    : Reply.Success), null, call.Ct).ConfigureAwait(false);
            if (!check.Result!.IsSuccess)
            {
                return check.Result;
            }
        }
        foreach (var g in groups)
        {
            var indexes = g.ToList();
            var ids = indexes.Select(_ => call.Ids.NewId("evt_")).ToList();
            var idem = header.Length > 0
                ? new IdempotencyRequest($"batch:{header}:{g.Key}", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(call.Body)))
                : null;
            var result = await call.Store.MutateCustomerAsync(t, g.Key, (state, cat) =>
            {
                if (state is null)
                {
                    return Units.Fail(Errors.CustomerNotFound(t, g.Key));
                }
                var now = call.Clock.NowFor(state.Customer);
                var w = Units.Begin(call, state, cat, now);
                for (var k = 0; k < indexes.Count; k++)
                {
                    var item = items[indexes[k]];
                    if (item.Timestamp is { } ts && ts > now.ToUnixTimeMilliseconds())
                    {
                        continue;
                    }
                    // A reject-mode item that does not fit is skipped whole (the engine writes nothing for it).
                    Track.Deduct(item, features[indexes[k]], w, cat, now, ids[k]);
                }
                return Units.Commit(w, Accepted);
            }, idem, call.Ct).ConfigureAwait(false);
            if (result.Outcome == StoreOutcome.KeyConflict)
            {
                return Errors.DuplicateKey(t);
            }
        }
        return Accepted;
    }

    private static readonly Reply Accepted = Reply.Success with { Status = 202 };
}
