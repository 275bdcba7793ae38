namespace Tally.Core.Domain;

/// <summary>
/// A fact a unit of work raises for the product to hear about (a webhook): it is committed with the change that
/// raised it, in the same transaction (the outbox), so a crash can neither lose it nor announce a change that did not
/// happen. Each kind maps to one of Autumn's webhook event types.
/// </summary>
public abstract record Notification
{
    /// <summary>Autumn's webhook event type, e.g. <c>balances.limit_reached</c>.</summary>
    public abstract string Type { get; }

    public required string CustomerId { get; init; }

    public string? EntityId { get; init; }
}

/// <summary>A configured usage alert crossed its threshold (once per threshold per period).</summary>
public sealed record UsageAlertTriggered : Notification
{
    public override string Type => "balances.usage_alert_triggered";

    public required string FeatureId { get; init; }

    /// <summary>The alert's name as configured, if any.</summary>
    public string? AlertName { get; init; }

    public required decimal Threshold { get; init; }

    /// <summary><c>usage</c>, <c>usage_percentage</c>, <c>remaining</c> or <c>remaining_percentage</c>.</summary>
    public required string ThresholdType { get; init; }
}

/// <summary>A balance reached a limit: <c>included</c>, <c>max_purchase</c>, <c>spend_limit</c> or <c>usage_limit</c> (once per crossing).</summary>
public sealed record LimitReached : Notification
{
    public override string Type => "balances.limit_reached";

    public required string FeatureId { get; init; }

    public required string LimitType { get; init; }
}

/// <summary>One plan's change in a <see cref="PlansChanged"/> notification.</summary>
/// <param name="PlanId">The plan.</param>
/// <param name="Action"><c>activated</c>, <c>scheduled</c>, <c>updated</c> or <c>expired</c>.</param>
/// <param name="Version">The plan version concerned.</param>
public sealed record PlanChange(string PlanId, string Action, int Version);

/// <summary>A customer's plans changed (Autumn's <c>billing.updated</c>).</summary>
public sealed record PlansChanged : Notification
{
    public override string Type => "billing.updated";

    public required IReadOnlyList<PlanChange> Changes { get; init; }
}
