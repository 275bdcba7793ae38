using Tally.Core.Domain;

namespace Tally.Core.Engine;

public enum FinalizeStatus
{
    Confirmed,
    Released,
    NotPending,
}

/// <summary>
/// Reservations: check/track with a lock takes the amount now and keeps a receipt of which sources gave what;
/// finalize confirms it (settling to an override value: less gives back to the same sources, more is drawn
/// through the waterfall) or releases it. An expired lock is released exactly once, when it is next settled.
/// </summary>
public static class Locks
{
    /// <summary>How long a finalized receipt is kept (so a late duplicate finalize is answered, not re-applied).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    public static BalanceLock Hold(Working w, string lockId, string featureId, string? entityId, decimal value,
        DateTimeOffset? expiresAt, IReadOnlyList<SourceDelta> deltas, DateTimeOffset now, bool usageRecorded)
    {
        var l = new BalanceLock
        {
            Id = lockId,
            FeatureId = featureId,
            EntityId = entityId,
            Value = value,
            ExpiresAt = expiresAt,
            Deltas = deltas,
            CreatedAt = now,
            UsageRecorded = usageRecorded,
        };
        w.Put(l);
        return l;
    }

    public static FinalizeStatus Confirm(Working w, Catalog catalog, BalanceLock l, decimal? overrideValue, DateTimeOffset now,
        IIdGenerator ids, string eventId, string propertiesJson)
    {
        if (l.Status != LockStatus.Pending)
        {
            return FinalizeStatus.NotPending;
        }
        var final = overrideValue ?? l.Value;
        var deltas = new List<SourceDelta>();
        if (final < l.Value)
        {
            deltas.AddRange(Unwind(w, catalog, l, l.Value - final, now));
        }
        else if (final > l.Value)
        {
            var candidates = Waterfall.Candidates(w, catalog, l.FeatureId, l.EntityId, now);
            deltas.AddRange(Waterfall.Run(w, catalog, l.FeatureId, candidates, final - l.Value, OverageBehavior.Cap, now).Deltas);
        }
        w.Put(l with { Status = LockStatus.Confirmed, Value = final, ExpiresAt = now + Retention });
        w.Append(new LedgerEvent
        {
            Id = eventId,
            // A check's reservation becomes visible usage when confirmed; a track's already is.
            Kind = l.UsageRecorded ? LedgerKind.Lock : LedgerKind.Track,
            CustomerId = w.Customer.Id,
            EntityId = l.EntityId,
            EventName = l.FeatureId,
            Value = final,
            PropertiesJson = propertiesJson,
            Timestamp = now,
            Deltas = deltas,
        });
        return FinalizeStatus.Confirmed;
    }

    public static FinalizeStatus Release(Working w, Catalog catalog, BalanceLock l, DateTimeOffset now, IIdGenerator ids, bool expired = false)
    {
        if (l.Status != LockStatus.Pending)
        {
            return FinalizeStatus.NotPending;
        }
        var deltas = Unwind(w, catalog, l, l.Value, now);
        w.Put(l with { Status = LockStatus.Released, ExpiresAt = (expired ? l.ExpiresAt ?? now : now) + Retention });
        w.Append(new LedgerEvent
        {
            Id = ids.NewId("evt_"),
            Kind = LedgerKind.Lock,
            CustomerId = w.Customer.Id,
            EntityId = l.EntityId,
            EventName = l.FeatureId,
            Value = -l.Value,
            Timestamp = now,
            Deltas = deltas,
        });
        return FinalizeStatus.Released;
    }

    /// <summary>Finalized receipts past their retention are dropped.</summary>
    public static void Prune(Working w, DateTimeOffset now)
    {
        foreach (var l in w.Locks().Where(l => l.Status != LockStatus.Pending && l.ExpiresAt is { } e && e <= now).ToList())
        {
            w.DeleteLock(l.Id);
        }
    }

    /// <summary>
    /// Gives back <paramref name="amount"/> (in the locked feature's units) to the sources the lock took from,
    /// last taken first; whatever cannot go back (a source since deleted) is refunded through the waterfall.
    /// </summary>
    private static List<SourceDelta> Unwind(Working w, Catalog catalog, BalanceLock l, decimal amount, DateTimeOffset now)
    {
        var result = new List<SourceDelta>();
        var left = amount;
        foreach (var d in l.Deltas.Reverse())
        {
            if (left <= 0) break;
            if (d.Value <= 0) continue;
            var source = w.Source(d.SourceId);
            if (source is null) continue;
            var cost = source.FeatureId == l.FeatureId ? 1m : catalog.Feature(source.FeatureId)?.CreditCostOf(l.FeatureId) ?? 1m;
            var back = Math.Min(d.Value, left * cost);
            // A reservation taken before a reset goes back only as far as the refilled grant: the new period does
            // not owe the old one, so usage never turns negative.
            if (d.RolloverId is null && d.ResetsAt != source.NextResetAt)
            {
                back = Math.Min(back, Math.Max(0m, source.Granted - source.Balance));
            }
            if (back <= 0) continue;
            left = back == left * cost ? 0 : left - back / cost;
            if (d.RolloverId is { } rid && w.RolloversOf(source.Id).FirstOrDefault(r => r.Id == rid) is { } bucket)
            {
                // A reset since the lock rebased the bucket to what it then held; the amount coming back is
                // granted again, so it cannot show as negative usage.
                w.Put(bucket with { Balance = bucket.Balance + back, Granted = Math.Max(bucket.Granted, bucket.Balance + back) });
                result.Add(d with { Value = -back });
            }
            else
            {
                w.Put(source with { Balance = source.Balance + back });
                result.Add(d with { Value = -back, RolloverId = null });
            }
        }
        if (left > 0)
        {
            var candidates = Waterfall.Candidates(w, catalog, l.FeatureId, l.EntityId, now);
            result.AddRange(Waterfall.Run(w, catalog, l.FeatureId, candidates, -left, OverageBehavior.Cap, now).Deltas);
        }
        return result;
    }
}
