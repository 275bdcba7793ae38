using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Api.Balances;

/// <summary>
/// balances.batch_track: every item is validated against the catalog before anything is applied (one bad item → 400
/// naming its index); then each customer's items are applied in order. An item that reject-mode cannot cover, or
/// that names an entity the customer does not have, is skipped, as Autumn's queue drops it; the answer is 202
/// {success: true}, the status Autumn's published contract and its official SDK (which refuses any other) expect. An item's own idempotency_key is honoured exactly as on balances.track: the item runs in its own
/// unit under that key, so a key already applied (earlier in the batch, by an earlier batch or by a track) applies
/// once.
/// </summary>
internal static class BatchTrack
{
    public const int MaxItems = 1000;

    /// <summary>
    /// One unit of a customer's items in request order, the features each charges, the ids their events carry, and
    /// whether the unit is one item under its own idempotency key.
    /// </summary>
    public sealed record Group(IReadOnlyList<TrackParams> Items, IReadOnlyList<IReadOnlyList<Feature>> Features, IReadOnlyList<string> EventIds,
        bool Keyed = false);

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
        // Items naming the same feature (or event name) share one resolved list, so the unit re-reads each list from
        // its own catalog once rather than once per item.
        var resolved = new Dictionary<(bool ByEvent, string Name), IReadOnlyList<Feature>>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                return Errors.Invalid(t, $"[{i}]: must be an object");
            }
            // The indexed field prefix is built only for the item that fails.
            if (Track.CheckShape(t, items[i]) is not null)
            {
                return Track.CheckShape(t, items[i], $"[{i}].")!;
            }
            var name = (items[i].EventName is not null, items[i].FeatureId ?? items[i].EventName!);
            var (f, error) = resolved.TryGetValue(name, out var known) ? (known, null) : Track.Resolve(t, items[i], catalog);
            if (error is not null)
            {
                return error;
            }
            resolved[name] = f!;
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
        // Customers first, so a batch naming an unknown customer changes nothing.
        foreach (var g in groups)
        {
            var check = await CustomerUnit.RunAsync(call, g.Key, 0, CheckCustomer, null).ConfigureAwait(false);
            if (!check.IsSuccess)
            {
                return check;
            }
        }
        foreach (var g in groups)
        {
            var units = Split([.. g.Select(i => items[i])], [.. g.Select(i => features[i])], [.. g.Select(_ => call.Ids.NewId("evt_"))]);
            for (var u = 0; u < units.Count; u++)
            {
                var result = await CustomerUnit.MutateAsync(call, g.Key, units[u], Decide, Idempotency(call, header, g.Key, u, units[u])).ConfigureAwait(false);
                if (result.Outcome == StoreOutcome.KeyConflict && !units[u].Keyed)
                {
                    return Errors.DuplicateKey(t);
                }
            }
        }
        return Accepted;
    }

    private static readonly Reply Accepted = Reply.Success with { Status = 202 };

    /// <summary>
    /// Cuts one customer's items into units in request order: each item with its own idempotency_key alone, the
    /// items between them together.
    /// </summary>
    public static List<Group> Split(IReadOnlyList<TrackParams> items, IReadOnlyList<IReadOnlyList<Feature>> features, IReadOnlyList<string> eventIds)
    {
        var units = new List<Group>();
        var start = 0;
        void Flush(int end)
        {
            if (end > start)
            {
                units.Add(new Group(Slice(items, start, end), Slice(features, start, end), Slice(eventIds, start, end)));
            }
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (!string.IsNullOrEmpty(items[i].IdempotencyKey))
            {
                Flush(i);
                units.Add(new Group([items[i]], [features[i]], [eventIds[i]], Keyed: true));
                start = i + 1;
            }
        }
        Flush(items.Count);
        return units;
    }

    private static IReadOnlyList<T> Slice<T>(IReadOnlyList<T> list, int start, int end)
    {
        if (start == 0 && end == list.Count)
        {
            return list;
        }
        var slice = new T[end - start];
        for (var i = start; i < end; i++)
        {
            slice[i - start] = list[i];
        }
        return slice;
    }

    /// <summary>
    /// The claim a unit runs under: a keyed item claims its body key in the scope balances.track uses (so the key
    /// holds across batches and tracks), hashed over the item alone; the other units claim the request's header key,
    /// scoped by customer and unit position with every part length-prefixed, hashed over the whole batch.
    /// </summary>
    private static IdempotencyRequest? Idempotency(Call<List<TrackParams>> call, string header, string customerId, int index, Group unit)
    {
        if (unit.Keyed)
        {
            var item = unit.Items[0];
            var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(item, TallyJsonContext.Default.TrackParams);
            return new IdempotencyRequest(BodyKeyScope(customerId, item.IdempotencyKey!),
                Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. "balances.batch_track item\n"u8, .. bytes])));
        }
        return header.Length > 0
            ? new IdempotencyRequest(HeaderScope(header, customerId, index), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(call.Body)))
            : null;
    }

    /// <summary>The scope of a track body key (as <see cref="Call{T}.Idempotency"/> builds it).</summary>
    public static string BodyKeyScope(string customerId, string key) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"track:{customerId.Length}:{customerId}:{key}");

    /// <summary>The scope of a batch's header key for one unit: every user string length-prefixed, so no two differ only in where a separator falls.</summary>
    public static string HeaderScope(string header, string customerId, int unit) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"batch:{header.Length}:{header}:{customerId.Length}:{customerId}:{unit}");

    /// <summary>Whether the customer exists; changes nothing either way.</summary>
    public static Decision<Reply> CheckCustomer(Working w, Catalog cat, int _, UnitContext u) => UnitContext.Fail(Reply.Success);

    /// <summary>
    /// The decision: applies one unit's items in order; an item reject-mode cannot cover, or naming an entity the
    /// customer lacks, is skipped whole. A keyed unit whose item was skipped keeps its key free, as a failed track does.
    /// </summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Group g, UnitContext u)
    {
        if (state is null)
        {
            return UnitContext.Fail(Errors.CustomerNotFound(u.Tenant, g.Items[0].CustomerId));
        }
        var w = u.Open(state, cat);
        var applied = 0;
        var nowMs = u.Now.ToUnixTimeMilliseconds();
        IReadOnlyList<Feature>? resolved = null, current = null;
        for (var k = 0; k < g.Items.Count; k++)
        {
            var item = g.Items[k];
            if ((item.Timestamp is { } ts && ts > nowMs) || (item.EntityId is { } eid && w.Entity(eid) is null))
            {
                continue;
            }
            // The features were resolved before the unit: charge them as this unit's catalog has them. Items of one
            // feature share their resolved list, so consecutive ones re-read it only once.
            if (!ReferenceEquals(g.Features[k], resolved))
            {
                resolved = g.Features[k];
                current = [.. resolved.Select(f => cat.Feature(f.Id) ?? f)];
            }
            var (_, outcome) = Track.Deduct(item, current!, w, cat, u.Now, g.EventIds[k]);
            applied += outcome.Status == TrackStatus.InsufficientBalance ? 0 : 1;
        }
        return g.Keyed && applied == 0 ? UnitContext.Answer(w, Accepted) : UnitContext.Commit(w, Accepted);
    }
}
