namespace Tally.Core.Domain;

public sealed record Customer
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Email { get; init; }
    public string? Fingerprint { get; init; }
    public string? StripeId { get; init; }
    public string MetadataJson { get; init; } = "{}";
    public string BillingControlsJson { get; init; } = "{}";

    /// <summary>What the billing controls remember (usage windows, fired alerts); null until a control first counts.</summary>
    public ControlState? ControlState { get; init; }
    public bool SendEmailReceipts { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>A sandbox test clock: when set, this customer's "now".</summary>
    public DateTimeOffset? TestClock { get; init; }

    /// <summary>
    /// This customer's "now" when the server's clock reads <paramref name="serverNow"/>: its test clock when it has
    /// one. Every time-dependent decision for the customer (resets, expiries, locks, default timestamps) uses it.
    /// </summary>
    public DateTimeOffset NowAt(DateTimeOffset serverNow) => TestClock ?? serverNow;

    /// <summary>Insertion order across the tenant, used for stable cursor pagination.</summary>
    public long Seq { get; init; }
}

public sealed record Entity
{
    public required string Id { get; init; }
    public required string FeatureId { get; init; }
    public string? Name { get; init; }
    public string BillingControlsJson { get; init; } = "{}";

    /// <summary>What the entity's own billing controls remember; null until one first counts.</summary>
    public ControlState? ControlState { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public long Seq { get; init; }
}

public enum AttachmentStatus
{
    Active,
    Scheduled,
}

/// <summary>A plan attached to a customer (or to one of its entities).</summary>
public sealed record CustomerPlan
{
    public required string Id { get; init; }
    public required string PlanId { get; init; }
    public int PlanVersion { get; init; } = 1;
    public string? EntityId { get; init; }
    public string? Group { get; init; }
    public bool AddOn { get; init; }
    public bool AutoEnable { get; init; }
    public bool Recurring { get; init; }
    public AttachmentStatus Status { get; init; } = AttachmentStatus.Active;
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CurrentPeriodStart { get; init; }
    public DateTimeOffset? CurrentPeriodEnd { get; init; }
    public decimal Quantity { get; init; } = 1;

    /// <summary>When a cancellation was asked for (immediate cancels delete the plan, so this marks an end-of-cycle one).</summary>
    public DateTimeOffset? CanceledAt { get; init; }

    /// <summary>When the plan ends (end of the cycle it was cancelled in, or a trial that cannot bill); Autumn's <c>expires_at</c>.</summary>
    public DateTimeOffset? EndsAt { get; init; }

    /// <summary>When the free trial ends, if the plan started with one.</summary>
    public DateTimeOffset? TrialEndsAt { get; init; }

    /// <summary>
    /// The next moment this plan changes by itself: a scheduled plan starts, an ending plan ends. The store keeps it
    /// in a column so the sweeper finds idle customers whose plan is due.
    /// </summary>
    public DateTimeOffset? DueAt() => Status == AttachmentStatus.Scheduled ? StartedAt : EndsAt;

    /// <summary>Prepaid quantities chosen at attach time, per feature.</summary>
    public IReadOnlyDictionary<string, decimal> Options { get; init; } = new Dictionary<string, decimal>();

    /// <summary>
    /// This customer's own items and base price (attach or update <c>customize</c>); null when the plan is served
    /// as the catalog version has it. The catalog plan itself never changes.
    /// </summary>
    public PlanCustomization? Custom { get; init; }
}

/// <summary>The items and base price one attachment uses instead of its catalog version's.</summary>
public sealed record PlanCustomization
{
    public IReadOnlyList<PlanItem> Items { get; init; } = [];
    public PlanPrice? Price { get; init; }
}
