using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
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

    /// <summary>One customer's items in request order, the features each charges, and the ids their events carry.</summary>
    public sealed record Group(IReadOnlyList<TrackParams> Items, IReadOnlyList<IReadOnlyList<Feature>> Features, IReadOnlyList<string> EventIds);

    public static async Task<Reply> Handle(Call<List<TrackParams>> call)
    {
        var t = call.Tenant;
        var items = call.Request;
        if (items.Count is 0 or > MaxItems)
        {
            return Errors.Invalid(t, $"body: must be an array of 1 to {MaxItems} track requests");
        }
        // Every item is resolved against the catalog before any is applied, so one read serves the whole batch.
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        var features = new IReadOnlyList<Feature>[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                return Errors.Invalid(t, $"[{i}]: must be an object");
            }
            var (f, error) = Track.CheckShape(t, items[i], $"[{i}].") is { } shapeError ? (null, shapeError) : Track.Resolve(t, items[i], catalog);
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
            var check = await CustomerUnit.RunAsync(call, g.Key, entities, CheckSubject, null).ConfigureAwait(false);
            if (!check.IsSuccess)
            {
                return check;
            }
        }
        foreach (var g in groups)
        {
            var group = new Group(g.Select(i => items[i]).ToList(), g.Select(i => features[i]).ToList(),
                g.Select(_ => call.Ids.NewId("evt_")).ToList());
            var idem = header.Length > 0
                ? new IdempotencyRequest($"batch:{header}:{g.Key}", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(call.Body)))
                : null;
            var result = await CustomerUnit.MutateAsync(call, g.Key, group, Decide, idem).ConfigureAwait(false);
            if (result.Outcome == StoreOutcome.KeyConflict)
            {
                return Errors.DuplicateKey(t);
            }
        }
        return Accepted;
    }

    /// <summary>Whether the customer has every entity the batch names; changes nothing either way.</summary>
    public static Decision<Reply> CheckSubject(Working w, Catalog cat, IReadOnlyList<string> entityIds, UnitContext u) =>
        UnitContext.Fail(entityIds.FirstOrDefault(e => w.Entity(e) is null) is { } missing ? Errors.EntityNotFound(u.Tenant, missing) : Reply.Success);

    /// <summary>The decision: applies one customer's items in order; an item reject-mode cannot cover is skipped whole.</summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Group g, UnitContext u)
    {
        if (state is null)
        {
            return UnitContext.Fail(Errors.CustomerNotFound(u.Tenant, g.Items[0].CustomerId));
        }
        var w = u.Open(state, cat);
        for (var k = 0; k < g.Items.Count; k++)
        {
            var item = g.Items[k];
            if (item.Timestamp is { } ts && ts > u.Now.ToUnixTimeMilliseconds())
            {
                continue;
            }
            // The features were resolved before the unit: charge them as this unit's catalog has them.
            var features = g.Features[k].Select(f => cat.Feature(f.Id) ?? f).ToList();
            Track.Deduct(item, features, w, cat, u.Now, g.EventIds[k]);
        }
        return UnitContext.Commit(w, Accepted);
    }

    private static readonly Reply Accepted = Reply.Success with { Status = 202 };
}
