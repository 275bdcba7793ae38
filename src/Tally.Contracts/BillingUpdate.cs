using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>
/// Body of <c>billing.update</c>: cancel, uncancel, change prepaid quantities or move to another plan version.
/// Fields that only mean something with a payment provider are accepted and ignored.
/// </summary>
public sealed class UpdateBillingParams
{
    /// <summary>Customer whose plan changes.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Entity whose plan changes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Plan to change; optional when the customer (or entity) has exactly one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PlanId { get; set; }

    /// <summary>New prepaid quantities; each quantity is the total, including the item's included amount.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<AttachOption>? FeatureQuantities { get; set; }

    /// <summary>Plan version to move to.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Version { get; set; }

    /// <summary><c>cancel_immediately</c>, <c>cancel_end_of_cycle</c> or <c>uncancel</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CancelAction { get; set; }

    /// <summary>Recalculate balances when quantities change (balances always keep their usage here).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EnabledFlag? RecalculateBalances { get; set; }

    /// <summary>Which usage carries to a new version (default: all consumable usage).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CarryOver? CarryOverUsages { get; set; }

    /// <summary>Items and base price for this customer's plan only (the catalog plan is unchanged).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanCustomize? Customize { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? InvoiceMode { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ProrationBehavior { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RedirectMode { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SubscriptionId { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Discounts { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingCycleAnchor { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? NoBillingChanges { get; set; }

    /// <summary>Payment-provider field, accepted and ignored.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RefundLastPayment { get; set; }

    /// <summary>License quantities (accepted and ignored).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? LicenseQuantities { get; set; }
}

/// <summary>An <c>{ "enabled": … }</c> switch.</summary>
public sealed class EnabledFlag
{
    /// <summary>Whether the behaviour is on.</summary>
    [JsonRequired]
    public bool Enabled { get; set; }
}

/// <summary>Carry-over of balances or usage from the plan being replaced.</summary>
public sealed class CarryOver
{
    /// <summary>Whether to carry over.</summary>
    [JsonRequired]
    public bool Enabled { get; set; }

    /// <summary>Only these features; all consumable features when absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? FeatureIds { get; set; }
}
