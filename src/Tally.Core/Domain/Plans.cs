namespace Tally.Core.Domain;

public enum BillingMethod
{
    Prepaid,
    UsageBased,
}

public enum TierBehavior
{
    Graduated,
    Volume,
}

/// <summary>A price tier; <c>To</c> null means "inf".</summary>
public sealed record PriceTier(decimal? To, decimal Amount, decimal? FlatAmount);

public sealed record ItemPrice
{
    public decimal? Amount { get; init; }
    public IReadOnlyList<PriceTier>? Tiers { get; init; }
    public TierBehavior? TierBehavior { get; init; }
    public ResetInterval? Interval { get; init; }
    public int IntervalCount { get; init; } = 1;
    public decimal BillingUnits { get; init; } = 1;
    public BillingMethod BillingMethod { get; init; } = BillingMethod.UsageBased;

    /// <summary>Units purchasable beyond <c>included</c>; null is uncapped.</summary>
    public decimal? MaxPurchase { get; init; }
}

public enum RolloverExpiry
{
    Month,
    Forever,
}

public sealed record RolloverConfig
{
    /// <summary>Cap on the carried amount; null with no percentage is uncapped.</summary>
    public decimal? Max { get; init; }
    public decimal? MaxPercentage { get; init; }
    public RolloverExpiry ExpiryType { get; init; } = RolloverExpiry.Month;
    public int ExpiryLength { get; init; } = 1;
}

public sealed record ItemReset(ResetInterval Interval, int IntervalCount);

public sealed record PlanItem
{
    public required string FeatureId { get; init; }
    public decimal Included { get; init; }
    public bool Unlimited { get; init; }
    public ItemReset? Reset { get; init; }
    public ItemPrice? Price { get; init; }
    public RolloverConfig? Rollover { get; init; }

    /// <summary>When set, every entity of this type feature gets its own sub-balance of the item.</summary>
    public string? EntityFeatureId { get; init; }
}

public sealed record PlanPrice(decimal Amount, ResetInterval Interval, int IntervalCount);

public sealed record Plan
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public int Version { get; init; } = 1;
    public string? Description { get; init; }
    public string? Group { get; init; }
    public bool AddOn { get; init; }
    public bool AutoEnable { get; init; }
    public PlanPrice? Price { get; init; }
    public IReadOnlyList<PlanItem> Items { get; init; } = [];
    public bool Archived { get; init; }
    public string MetadataJson { get; init; } = "{}";
    public string ConfigJson { get; init; } = "{}";
    public string? FreeTrialJson { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// The plan's default <c>billing_controls</c> (validated JSON, "{}" for none): they apply to the customers (or
    /// entities) that hold this version, wherever their own controls leave a gap.
    /// </summary>
    public string BillingControlsJson { get; init; } = "{}";

    /// <summary>
    /// A plan billed on an interval (or free) is a subscription; a plan whose only prices are one-off is a purchase.
    /// </summary>
    public bool IsRecurring => Price is { } p
        ? p.Interval != ResetInterval.OneOff
        : Items.All(i => i.Price is null) || Items.Any(i => i.Price?.Interval is { } iv && iv != ResetInterval.OneOff);
}
