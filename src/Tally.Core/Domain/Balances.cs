namespace Tally.Core.Domain;

/// <summary>
/// One grant bucket of a feature to a customer or entity. <see cref="Balance"/> is what is left;
/// usage is derived (granted − balance) and never stored.
/// </summary>
public sealed record BalanceSource
{
    public required string Id { get; init; }
    public required string FeatureId { get; init; }

    /// <summary>The owning entity for entity-scoped buckets; null for customer-level ones.</summary>
    public string? EntityId { get; init; }

    /// <summary>Null for a standalone grant (balances.create).</summary>
    public string? PlanId { get; init; }
    public string? CustomerPlanId { get; init; }

    public decimal IncludedGrant { get; init; }
    public decimal PrepaidGrant { get; init; }

    /// <summary>Manual change to the grant for this cycle (included_grant updates); cleared at reset.</summary>
    public decimal Adjustment { get; init; }
    public decimal Balance { get; init; }

    public bool Unlimited { get; init; }

    /// <summary>May go below zero in pass 2 (usage-based price, or free continuous use under cap).</summary>
    public bool UsageAllowed { get; init; }

    /// <summary>Floor is −MaxPurchase when usage is allowed; null means no floor.</summary>
    public decimal? MaxPurchase { get; init; }

    public ResetInterval? Interval { get; init; }
    public int IntervalCount { get; init; } = 1;

    /// <summary>The first boundary; later boundaries are anchor + k intervals (keeps month ends stable).</summary>
    public DateTimeOffset? ResetAnchor { get; init; }
    public DateTimeOffset? NextResetAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public RolloverConfig? Rollover { get; init; }
    public bool AddOn { get; init; }
    public ItemPrice? Price { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Monotonic creation order within the customer: the last tie-breaker of the waterfall.</summary>
    public long Seq { get; init; }

    public bool IsStandalone => PlanId is null;

    /// <summary>The ceiling a refund may restore to.</summary>
    public decimal Granted => IncludedGrant + PrepaidGrant + Adjustment;

    public decimal Usage => Granted - Balance;

    public bool Resets => NextResetAt is not null;

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } e && e <= now;

    /// <summary>
    /// A standalone grant drained to exactly zero drops out of every later read, as in Autumn;
    /// plan-based buckets never drop.
    /// </summary>
    public bool IsDrained => IsStandalone && !Unlimited && Balance == 0m;

    public bool IsLive(DateTimeOffset now) => !IsExpired(now) && !IsDrained;
}

/// <summary>Unused balance carried over a reset; drawn before every main balance, soonest expiry first.</summary>
public sealed record RolloverBucket
{
    public required string Id { get; init; }
    public required string SourceId { get; init; }
    public decimal Granted { get; init; }
    public decimal Balance { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public bool IsLive(DateTimeOffset now) => Balance > 0 && (ExpiresAt is null || ExpiresAt > now);
}
