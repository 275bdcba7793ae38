using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>
/// Response of <c>billing.preview_attach</c>: what the same attach would change, computed as a dry run. Amounts are the
/// plan's prices as configured; nothing is charged (Tally has no payment provider).
/// </summary>
public sealed class PreviewAttachResponse
{
    /// <summary>Customer the preview is for.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>What would be due now: the base price and prepaid purchases of a plan that starts now without a trial.</summary>
    public List<PreviewLineItem> LineItems { get; set; } = [];

    /// <summary>Sum of <see cref="LineItems"/> before discounts.</summary>
    public decimal Subtotal { get; set; }

    /// <summary>Sum of <see cref="LineItems"/> (Tally applies no discounts).</summary>
    public decimal Total { get; set; }

    /// <summary>Currency of the amounts.</summary>
    public string Currency { get; set; } = "usd";

    /// <summary>The next billing cycle, when the plan bills on an interval or meters usage.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PreviewNextCycle? NextCycle { get; set; }

    /// <summary>Plans the attach would activate or schedule.</summary>
    public List<PreviewPlanChange> Incoming { get; set; } = [];

    /// <summary>Plans the attach would replace.</summary>
    public List<PreviewPlanChange> Outgoing { get; set; } = [];

    /// <summary>Always false: no checkout without a payment provider.</summary>
    public bool RedirectToCheckout { get; set; }

    /// <summary>Always null: no checkout without a payment provider.</summary>
    public string? CheckoutType { get; set; }

    /// <summary>Tally's addition: each feature whose balance the attach would change, before and after.</summary>
    public List<PreviewBalanceChange> Balances { get; set; } = [];
}

/// <summary>One amount of a preview.</summary>
public sealed class PreviewLineItem
{
    /// <summary>Plan name or feature name.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>What the amount is for.</summary>
    public string Description { get; set; } = "";

    /// <summary>Amount before discounts.</summary>
    public decimal Subtotal { get; set; }

    /// <summary>Amount after discounts (the same: Tally applies none).</summary>
    public decimal Total { get; set; }

    /// <summary>Discounts applied (always empty).</summary>
    public List<PreviewDiscount> Discounts { get; set; } = [];

    /// <summary>Plan the amount belongs to.</summary>
    public string PlanId { get; set; } = "";

    /// <summary>Feature of the amount, or null for the base price (always written).</summary>
    public string? FeatureId { get; set; }

    /// <summary>Billing period the amount covers, when it recurs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PreviewPeriod? Period { get; set; }

    /// <summary>Quantity: 1 for the base price, the total prepaid quantity for a feature.</summary>
    public decimal Quantity { get; set; }
}

/// <summary>A discount on a line item (Tally never applies one).</summary>
public sealed class PreviewDiscount
{
    /// <summary>Amount taken off.</summary>
    public decimal AmountOff { get; set; }
}

/// <summary>A period in milliseconds since the epoch.</summary>
public sealed class PreviewPeriod
{
    /// <summary>Start (ms).</summary>
    public long Start { get; set; }

    /// <summary>End (ms).</summary>
    public long End { get; set; }
}

/// <summary>What the next cycle would bill.</summary>
public sealed class PreviewNextCycle
{
    /// <summary>When the next cycle starts (ms).</summary>
    public long StartsAt { get; set; }

    /// <summary>Sum of <see cref="LineItems"/>.</summary>
    public decimal Subtotal { get; set; }

    /// <summary>Sum of <see cref="LineItems"/>.</summary>
    public decimal Total { get; set; }

    /// <summary>Fixed amounts of the next cycle.</summary>
    public List<PreviewLineItem> LineItems { get; set; } = [];

    /// <summary>Usage-based items, billed in arrears (no amount known in advance).</summary>
    public List<PreviewUsageLineItem> UsageLineItems { get; set; } = [];
}

/// <summary>A usage-based item of the next cycle.</summary>
public sealed class PreviewUsageLineItem
{
    /// <summary>Feature name.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>Plan the item belongs to.</summary>
    public string PlanId { get; set; } = "";

    /// <summary>Feature metered.</summary>
    public string? FeatureId { get; set; }

    /// <summary>Billing period, when known.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PreviewPeriod? Period { get; set; }
}

/// <summary>A plan the attach would bring in or take out.</summary>
public sealed class PreviewPlanChange
{
    /// <summary>Plan id.</summary>
    public string PlanId { get; set; } = "";

    /// <summary>Prepaid quantities of the plan.</summary>
    public List<PreviewFeatureQuantity> FeatureQuantities { get; set; } = [];

    /// <summary>When the change takes effect (ms), or null for now (always written).</summary>
    public long? EffectiveAt { get; set; }

    /// <summary>When the plan was cancelled (ms), or null (always written).</summary>
    public long? CanceledAt { get; set; }

    /// <summary>When the plan would end by itself (ms), or null (always written).</summary>
    public long? ExpiresAt { get; set; }
}

/// <summary>A prepaid quantity in a preview.</summary>
public sealed class PreviewFeatureQuantity
{
    /// <summary>Feature id.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>Total quantity, including the item's included amount.</summary>
    public decimal Quantity { get; set; }
}

/// <summary>One feature's balance before and after the previewed attach.</summary>
public sealed class PreviewBalanceChange
{
    /// <summary>Feature id.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>The balance now, or null when the subject has none (always written).</summary>
    public Balance? Before { get; set; }

    /// <summary>The balance after the attach, or null when it would have none (always written).</summary>
    public Balance? After { get; set; }
}
