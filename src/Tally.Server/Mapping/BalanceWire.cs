using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;

namespace Tally.Server.Mapping;

/// <summary>Core balance views → the wire shapes of autumn-api.md §3.5–3.6.</summary>
public static class BalanceWire
{
    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    public static Balance? ToWire(this BalanceSummary? b) => b is null ? null : new Balance
    {
        FeatureId = b.FeatureId,
        Granted = b.Granted,
        Remaining = b.Remaining,
        Usage = b.Usage,
        Unlimited = b.Unlimited,
        OverageAllowed = b.OverageAllowed,
        MaxPurchase = b.MaxPurchase,
        NextResetAt = Ms(b.NextResetAt),
        Breakdown = b.Breakdown.Select(ToWire).ToList(),
        Rollovers = b.Rollovers.Count == 0 ? null : ToWire(b.Rollovers),
    };

    public static List<BalanceRollover> ToWire(IReadOnlyList<RolloverView> rollovers) => rollovers.Select(r => new BalanceRollover
    {
        Granted = r.Granted,
        Balance = r.Balance,
        ExpiresAt = Ms(r.ExpiresAt),
    }).ToList();

    public static BalanceBreakdown ToWire(BreakdownItem i) => new()
    {
        Id = i.Source.Id,
        PlanId = i.Source.PlanId,
        IncludedGrant = i.IncludedGrant,
        PrepaidGrant = i.PrepaidGrant,
        Remaining = i.Remaining,
        Usage = i.Usage,
        Unlimited = i.Source.Unlimited,
        Reset = Reset(i.Source.Interval, i.Source.IntervalCount, i.Source.NextResetAt),
        Price = i.Source.Price is { } p ? Price(p) : null,
        ExpiresAt = Ms(i.Source.ExpiresAt),
    };

    public static BreakdownReset? Reset(ResetInterval? interval, int count, DateTimeOffset? resetsAt) =>
        interval is { } iv ? new BreakdownReset { Interval = iv.ToWire(), IntervalCount = count, ResetsAt = Ms(resetsAt) } : null;

    public static BreakdownPrice Price(ItemPrice p) => new()
    {
        Amount = p.Amount,
        Tiers = p.Tiers?.Select(PlanWire.Tier).ToList(),
        TierBehavior = p.TierBehavior is { } tb ? (tb == TierBehavior.Graduated ? "graduated" : "volume") : null,
        BillingUnits = p.BillingUnits,
        BillingMethod = p.BillingMethod == BillingMethod.Prepaid ? "prepaid" : "usage_based",
        MaxPurchase = p.MaxPurchase,
    };

    public static Flag ToFlag(BalanceSource s) => new()
    {
        Id = s.Id,
        PlanId = s.PlanId,
        ExpiresAt = Ms(s.ExpiresAt),
        FeatureId = s.FeatureId,
    };

    public static Deduction ToWire(SourceDelta d) => new()
    {
        BalanceId = d.SourceId,
        FeatureId = d.FeatureId,
        PlanId = d.PlanId,
        Reset = Reset(d.Interval, d.IntervalCount, d.ResetsAt),
        Value = d.Value,
    };
}
