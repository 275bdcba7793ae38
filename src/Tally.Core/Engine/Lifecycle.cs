using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>Organization-level choices that change what a reset does.</summary>
public sealed record ResetPolicy
{
    /// <summary>Keep negative free (unpriced) overage across a reset instead of forgiving it.</summary>
    public bool PersistFreeOverage { get; init; }

    public static readonly ResetPolicy Default = new();
}

/// <summary>
/// Time-driven transitions, applied when a customer is loaded (and by the sweeper for idle customers):
/// scheduled plans starting and plans ending (<see cref="PlanLifecycle"/>), due resets (with rollovers), expired rollovers,
/// and expired locks. Each is idempotent: a source is reset only
/// while <c>now ≥ next_reset_at</c>, and the reset moves next_reset_at past now.
/// </summary>
public static class Lifecycle
{
    /// <summary>Whether anything is due at <paramref name="now"/> (cheap; lets read paths skip the work).</summary>
    public static bool IsDue(CustomerState state, DateTimeOffset now) => state.NextDueAt is { } due && due <= now;

    public static void Settle(Working w, Catalog catalog, DateTimeOffset now, ResetPolicy policy, IIdGenerator ids)
    {
        if (!IsDue(w.Base, now))
        {
            return;
        }
        // Plans first: a plan that started or ended while the customer was idle changes which sources reset below.
        PlanLifecycle.Settle(w, catalog, now, ids);
        foreach (var l in w.Locks().Where(l => l.Status == LockStatus.Pending && l.ExpiresAt is { } e && e <= now).ToList())
        {
            Locks.Release(w, catalog, l, now, ids, expired: true);
        }
        Locks.Prune(w, now);
        var deltas = new List<SourceDelta>();
        foreach (var s in w.AllSources().Where(s => s.NextResetAt is { } n && n <= now).OrderBy(s => s.Seq).ToList())
        {
            Reset(w, s, now, policy, ids, deltas);
        }
        foreach (var r in w.AllRollovers().Where(r => r.ExpiresAt is { } e && e <= now).ToList())
        {
            // An expired rollover leaves the balance; its remainder is written off in the ledger.
            if (w.Source(r.SourceId) is { } owner && r.Balance != 0)
            {
                deltas.Add(Waterfall.Delta(owner, r.Balance, r.Id));
            }
            w.DeleteRollover(r.Id);
        }
        if (deltas.Count > 0)
        {
            w.Append(new LedgerEvent
            {
                Id = ids.NewId("evt_"),
                Kind = LedgerKind.Reset,
                CustomerId = w.Customer.Id,
                EventName = "reset",
                Timestamp = now,
                Deltas = deltas,
            });
        }
    }

    private static void Reset(Working w, BalanceSource s, DateTimeOffset now, ResetPolicy policy, IIdGenerator ids, List<SourceDelta> deltas)
    {
        var boundary = s.NextResetAt!.Value;
        var interval = s.Interval!.Value;
        var anchor = s.ResetAnchor ?? boundary;
        var next = Calendar.NextAfter(anchor, interval, s.IntervalCount, now);
        var allowance = s.IncludedGrant + s.PrepaidGrant;

        // What the rollovers gave during the period that just ended was that period's usage: a bucket that survives
        // the reset starts the new one unused (granted = what it still holds), and a spent one is dropped.
        foreach (var r in w.RolloversOf(s.Id).ToList())
        {
            if (r.Balance == 0) w.DeleteRollover(r.Id);
            else if (r.Granted != r.Balance && r.IsLive(now)) w.Put(r with { Granted = r.Balance });
        }

        // Unused balance of the period that just ended becomes a rollover bucket, within the item's cap.
        if (s.Rollover is { } cfg && s.Balance > 0 && !s.Unlimited)
        {
            var rolled = s.Balance;
            var cap = Cap(cfg, allowance);
            var existing = w.RolloversOf(s.Id).Where(r => r.IsLive(now)).OrderBy(r => r.ExpiresAt ?? DateTimeOffset.MaxValue).ThenBy(r => r.CreatedAt).ToList();
            if (cap is { } c)
            {
                rolled = Math.Min(rolled, c);
                // Over the cap, the oldest-expiring buckets are trimmed first.
                var excess = existing.Sum(r => r.Balance) + rolled - c;
                foreach (var r in existing)
                {
                    if (excess <= 0) break;
                    var cut = Math.Min(excess, r.Balance);
                    excess -= cut;
                    deltas.Add(Waterfall.Delta(s, cut, r.Id));
                    if (r.Balance - cut == 0) w.DeleteRollover(r.Id);
                    // What the cap cuts is gone, not used: it leaves the granted amount too.
                    else w.Put(r with { Balance = r.Balance - cut, Granted = r.Granted - cut });
                }
            }
            if (rolled > 0)
            {
                var bucket = new RolloverBucket
                {
                    Id = ids.NewId("roll_"),
                    SourceId = s.Id,
                    Granted = rolled,
                    Balance = rolled,
                    ExpiresAt = cfg.ExpiryType == RolloverExpiry.Forever ? null : boundary.ToUniversalTime().AddMonths(Math.Max(1, cfg.ExpiryLength)),
                    CreatedAt = now,
                };
                w.Put(bucket);
                deltas.Add(Waterfall.Delta(s, -rolled, bucket.Id));
            }
        }

        var keep = policy.PersistFreeOverage && s.Balance < 0 && !s.UsageAllowed && !s.Unlimited ? s.Balance : 0m;
        var balance = s.Unlimited ? 0m : allowance + keep;
        var refreshed = s with { Balance = balance, Adjustment = 0, NextResetAt = next, ResetAnchor = anchor };
        deltas.Add(Waterfall.Delta(s, s.Balance - balance, null) with { ResetsAt = next });
        w.Put(refreshed);
    }

    /// <summary>The most a source may hold in rollovers: <c>max</c>, or a percentage of the allowance, whichever is lower.</summary>
    public static decimal? Cap(RolloverConfig cfg, decimal allowance)
    {
        decimal? cap = cfg.Max;
        if (cfg.MaxPercentage is { } pct)
        {
            var byPct = allowance * pct / 100m;
            cap = cap is { } m ? Math.Min(m, byPct) : byPct;
        }
        return cap;
    }
}
