using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>billing.attach</c>.</summary>
public sealed class AttachParams
{
    /// <summary>Customer receiving the plan.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Plan to attach.</summary>
    [JsonRequired]
    public string PlanId { get; set; } = "";

    /// <summary>Entity receiving the plan.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Prepaid quantities per feature (what the 2.4 SDK sends).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<AttachOption>? FeatureQuantities { get; set; }

    /// <summary>Prepaid quantities per feature (legacy name of <see cref="FeatureQuantities"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<AttachOption>? Options { get; set; }

    /// <summary>Plan version to attach.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Version { get; set; }

    /// <summary>Free-trial override (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? FreeTrial { get; set; }

    /// <summary>Items and base price for this customer only (the catalog plan is unchanged).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanCustomize? Customize { get; set; }

    /// <summary>Invoice mode (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? InvoiceMode { get; set; }

    /// <summary>Proration behaviour.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ProrationBehavior { get; set; }

    /// <summary>Redirect mode (the SDK always sends <c>if_required</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RedirectMode { get; set; }

    /// <summary>Existing subscription to add the plan to.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SubscriptionId { get; set; }

    /// <summary>Discounts (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Discounts { get; set; }

    /// <summary>URL to return to after checkout.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SuccessUrl { get; set; }

    /// <summary>Start a separate billing subscription.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? NewBillingSubscription { get; set; }

    /// <summary>Billing cycle anchor: a timestamp or a keyword.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingCycleAnchor { get; set; }

    /// <summary>When the plan change applies.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PlanSchedule { get; set; }

    /// <summary>Start time (ms since epoch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? StartsAt { get; set; }

    /// <summary>End time (ms since epoch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? EndsAt { get; set; }

    /// <summary>Extra checkout-session parameters (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? CheckoutSessionParams { get; set; }

    /// <summary>Use a long-lived checkout link.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? LongLivedCheckout { get; set; }

    /// <summary>Custom line items (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? CustomLineItems { get; set; }

    /// <summary>Processor subscription to link.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ProcessorSubscriptionId { get; set; }

    /// <summary>Keep the replaced plan's remaining balances as grants (when the plan replaces one of its group).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CarryOver? CarryOverBalances { get; set; }

    /// <summary>Charge the replaced plan's usage to the new plan's balances (when the plan replaces one of its group).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CarryOver? CarryOverUsages { get; set; }

    /// <summary>License quantities (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? LicenseQuantities { get; set; }

    /// <summary>String metadata object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Metadata { get; set; }

    /// <summary>Attach without any billing change.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? NoBillingChanges { get; set; }

    /// <summary>Enable the plan before payment completes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? EnablePlanImmediately { get; set; }

    /// <summary>Tax rate to apply.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TaxRateId { get; set; }

    /// <summary>Billing currency.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Currency { get; set; }

    /// <summary>Plans to remove in the same change.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? RemovePlanIds { get; set; }
}

/// <summary>Prepaid quantity of one feature in an attach.</summary>
public sealed class AttachOption
{
    /// <summary>Feature id.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Quantity purchased.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Quantity { get; set; }

    /// <summary>Whether the customer may adjust the quantity at checkout.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Adjustable { get; set; }
}

/// <summary>Response of <c>billing.attach</c>.</summary>
public sealed class AttachResponse
{
    /// <summary>Customer that received the plan.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>Entity that received the plan, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Invoice created, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AttachInvoice? Invoice { get; set; }

    /// <summary>Checkout URL, or null when no payment is needed (always written).</summary>
    public string? PaymentUrl { get; set; }

    /// <summary>Action the customer must take, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AttachRequiredAction? RequiredAction { get; set; }
}

/// <summary>Invoice created by an attach.</summary>
public sealed class AttachInvoice
{
    /// <summary>Invoice status, or null.</summary>
    public string? Status { get; set; }

    /// <summary>Stripe invoice id.</summary>
    public string StripeId { get; set; } = "";

    /// <summary>Invoice total.</summary>
    public decimal Total { get; set; }

    /// <summary>Currency.</summary>
    public string Currency { get; set; } = "";

    /// <summary>Hosted invoice URL, or null.</summary>
    public string? HostedInvoiceUrl { get; set; }
}

/// <summary>Action required to complete an attach.</summary>
public sealed class AttachRequiredAction
{
    /// <summary>Code: <c>3ds_required</c>, <c>payment_method_required</c>, <c>payment_failed</c>, <c>payment_processing</c>.</summary>
    public string Code { get; set; } = "";

    /// <summary>Human-readable reason.</summary>
    public string Reason { get; set; } = "";
}
