using Tally.Core.Domain;

namespace Tally.Core.Engine;

public sealed record GrantCommand
{
    public required Feature Feature { get; init; }
    public string? EntityId { get; init; }
    public string? BalanceId { get; init; }
    public decimal IncludedGrant { get; init; }
    public bool Unlimited { get; init; }
    public ItemReset? Reset { get; init; }
    public RolloverConfig? Rollover { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? NextResetAt { get; init; }
}

public enum GrantStatus
{
    Created,
    DuplicateBalanceId,
    FlagAlreadyGranted,
}

/// <summary>Which sources of a feature a balances.update / balances.delete touches.</summary>
public sealed record BalanceTarget(string FeatureId, string? EntityId, ResetInterval? Interval, string? BalanceId);

public sealed record BalanceUpdate
{
    public decimal? Remaining { get; init; }
    public decimal? AddToBalance { get; init; }
    public decimal? Usage { get; init; }
    public decimal? IncludedGrant { get; init; }
    public DateTimeOffset? NextResetAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
}

public enum UpdateStatus
{
    Updated,
    NothingToUpdate,
    NoBalanceForIncludedGrant,
}

public enum DeleteBalanceStatus
{
    Deleted,
    NotFound,

    /// <summary>A balance with a price (usage-based or prepaid): money was or will be charged for it.</summary>
    PaidBalance,
}

/// <summary>Standalone grants and manual adjustments (balances.create / update / delete).</summary>
public static class BalanceOps
{
    public static GrantStatus Create(Working w, GrantCommand cmd, DateTimeOffset now, IIdGenerator ids)
    {
        var id = cmd.BalanceId ?? ids.NewId("cus_ent_");
        if (cmd.BalanceId is not null && w.Source(cmd.BalanceId) is not null)
        {
            return GrantStatus.DuplicateBalanceId;
        }
        if (cmd.Feature.Type == FeatureType.Boolean && w.SourcesOf(cmd.Feature.Id, cmd.EntityId).Any(s => s.IsLive(now)))
        {
            return GrantStatus.FlagAlreadyGranted;
        }
        var resets = cmd.Reset is { } r && r.Interval != ResetInterval.OneOff;
        DateTimeOffset? next = resets ? cmd.NextResetAt ?? Calendar.Add(now, cmd.Reset!.Interval, cmd.Reset.IntervalCount, 1) : null;
        var included = cmd.Unlimited || cmd.Feature.Type == FeatureType.Boolean ? 0m : cmd.IncludedGrant;
        var source = new BalanceSource
        {
            Id = id,
            FeatureId = cmd.Feature.Id,
            EntityId = cmd.EntityId,
            IncludedGrant = included,
            Balance = included,
            Unlimited = cmd.Unlimited,
            Interval = cmd.Reset?.Interval,
            IntervalCount = cmd.Reset?.IntervalCount ?? 1,
            ResetAnchor = resets ? (cmd.NextResetAt ?? now) : null,
            NextResetAt = next,
            ExpiresAt = cmd.ExpiresAt,
            Rollover = resets ? cmd.Rollover : null,
            CreatedAt = now,
            Seq = w.TakeSeq(),
        };
        var delta = Grants.Create(w, source);
        w.Append(Grants.GrantEvent(w, ids, now, cmd.Feature.Id, cmd.EntityId, [delta]));
        return GrantStatus.Created;
    }

    /// <summary>The targeted sources in deduction order: an entity's own, or all of the customer's.</summary>
    public static List<BalanceSource> Targets(Working w, Catalog catalog, BalanceTarget t, DateTimeOffset now)
    {
        var only = w.AllSources().Where(s => s.FeatureId == t.FeatureId
                && (t.EntityId is null || s.EntityId == t.EntityId)
                && (t.Interval is null || (s.Interval ?? ResetInterval.OneOff) == t.Interval)
                && (t.BalanceId is null || s.Id == t.BalanceId))
            .Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return Waterfall.Candidates(w, catalog, t.FeatureId, t.EntityId, now, only)
            .Where(c => c.OwnFeature).Select(c => c.Source).ToList();
    }

    public static UpdateStatus Update(Working w, Catalog catalog, BalanceTarget t, BalanceUpdate u, DateTimeOffset now, IIdGenerator ids)
    {
        var targets = Targets(w, catalog, t, now);
        if (u.IncludedGrant is not null && targets.Count == 0)
        {
            return UpdateStatus.NoBalanceForIncludedGrant;
        }
        if (targets.Count == 0)
        {
            return UpdateStatus.NothingToUpdate;
        }
        var deltas = new List<SourceDelta>();
        var targeted = targets.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        List<Candidate> Candidates() => Waterfall.Candidates(w, catalog, t.FeatureId, t.EntityId, now, targeted).Where(c => c.OwnFeature).ToList();

        decimal? change = null;
        if (u.Remaining is { } target)
        {
            change = Total(w, targeted) - target;
        }
        else if (u.AddToBalance is { } add)
        {
            change = -add;
        }
        if (change is { } c1 && c1 != 0)
        {
            deltas.AddRange(Waterfall.Run(w, catalog, t.FeatureId, Candidates(), c1, OverageBehavior.Allow, now).Deltas);
        }
        if (u.Usage is { } usage)
        {
            var granted = targeted.Sum(id => w.Source(id)!.Granted);
            var c2 = Total(w, targeted) - (granted - usage);
            if (c2 != 0)
            {
                deltas.AddRange(Waterfall.Run(w, catalog, t.FeatureId, Candidates(), c2, OverageBehavior.Allow, now).Deltas);
            }
        }
        if (u.IncludedGrant is { } grant)
        {
            // Changes the grant for this cycle only; remaining stays, so usage moves. Cleared at the next reset.
            var first = w.Source(targets[0].Id)!;
            w.Put(first with { Adjustment = grant - first.IncludedGrant });
        }
        if (u.NextResetAt is { } next)
        {
            foreach (var id in targeted)
            {
                var s = w.Source(id)!;
                if (s.Interval is { } iv && iv != ResetInterval.OneOff)
                {
                    w.Put(s with { NextResetAt = next, ResetAnchor = next });
                }
            }
        }
        if (u.ExpiresAt is { } expires)
        {
            foreach (var id in targeted)
            {
                w.Put(w.Source(id)! with { ExpiresAt = expires });
            }
        }
        w.Append(new LedgerEvent
        {
            Id = ids.NewId("evt_"),
            Kind = LedgerKind.Adjustment,
            CustomerId = w.Customer.Id,
            EntityId = t.EntityId,
            EventName = t.FeatureId,
            Value = change ?? 0,
            Timestamp = now,
            Deltas = deltas,
        });
        return UpdateStatus.Updated;
    }

    private static decimal Total(Working w, IEnumerable<string> ids) => ids.Sum(id => w.Source(id)!.Balance);

    public static DeleteBalanceStatus Delete(Working w, Catalog catalog, BalanceTarget t, bool recalculate, DateTimeOffset now, IIdGenerator ids)
    {
        var targets = w.AllSources().Where(s => (t.BalanceId is null || s.Id == t.BalanceId)
                && (t.BalanceId is not null || s.FeatureId == t.FeatureId)
                && (t.EntityId is null || s.EntityId == t.EntityId)
                && (t.Interval is null || (s.Interval ?? ResetInterval.OneOff) == t.Interval))
            .ToList();
        if (targets.Count == 0)
        {
            return DeleteBalanceStatus.NotFound;
        }
        if (targets.Any(s => s.Price is not null))
        {
            return DeleteBalanceStatus.PaidBalance;
        }
        var carrier = recalculate ? OverageCarrier(w, t, targets, now) : null;
        foreach (var s in targets)
        {
            if (s.Id == carrier?.Id)
            {
                continue;
            }
            w.DeleteSource(s.Id);
            if (carrier is null && recalculate && s.Usage > 0 && !s.Unlimited)
            {
                // The usage the deleted grant absorbed moves to the customer's other sources of the feature.
                var cands = Waterfall.Candidates(w, catalog, s.FeatureId, s.EntityId, now).Where(c => c.OwnFeature).ToList();
                var d = Waterfall.Run(w, catalog, s.FeatureId, cands, s.Usage, OverageBehavior.Cap, now);
                w.Append(new LedgerEvent
                {
                    Id = ids.NewId("evt_"),
                    Kind = LedgerKind.Adjustment,
                    CustomerId = w.Customer.Id,
                    EntityId = s.EntityId,
                    EventName = s.FeatureId,
                    Value = s.Usage,
                    Timestamp = now,
                    Deltas = d.Deltas,
                });
            }
        }
        if (carrier is not null)
        {
            // No other balance of the feature survives to take the usage: the first deleted row stays as the holder
            // of the overage, granting nothing and never resetting, so the usage stays on the books (as in Autumn).
            var usage = targets.Where(s => !s.Unlimited).Sum(s => s.Usage);
            w.Put(carrier with
            {
                IncludedGrant = 0m,
                PrepaidGrant = 0m,
                Adjustment = 0m,
                Balance = -usage,
                NextResetAt = null,
                ResetAnchor = null,
                Rollover = null,
            });
        }
        return DeleteBalanceStatus.Deleted;
    }

    /// <summary>
    /// The row kept as the holder of the deleted usage: the first target, when the targets carry usage and no other
    /// live balance of the feature (in the same scope) would survive to absorb it; otherwise null.
    /// </summary>
    public static BalanceSource? OverageCarrier(Working w, BalanceTarget t, IReadOnlyList<BalanceSource> targets, DateTimeOffset now)
    {
        if (targets.Where(s => !s.Unlimited).Sum(s => s.Usage) <= 0)
        {
            return null;
        }
        var deleting = targets.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var survives = w.AllSources().Any(s => s.FeatureId == targets[0].FeatureId
            && (t.EntityId is null || s.EntityId == t.EntityId) && !deleting.Contains(s.Id) && s.IsLive(now));
        return survives ? null : targets[0];
    }
}
