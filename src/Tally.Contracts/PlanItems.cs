using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>A plan item as sent in <c>plans.create</c>/<c>plans.update</c>.</summary>
public sealed class PlanItem
{
    /// <summary>Feature granted by the item.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Grant per cycle.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Included { get; set; }

    /// <summary>Whether the grant is unlimited.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Unlimited { get; set; }

    /// <summary>Whether entity balances are pooled.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Pooled { get; set; }

    /// <summary>Reset cycle; absent means never resets.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanItemReset? Reset { get; set; }

    /// <summary>Item price; absent means free.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanItemPrice? Price { get; set; }

    /// <summary>Proration settings (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Proration { get; set; }

    /// <summary>Rollover of unused balance at reset.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanItemRollover? Rollover { get; set; }

    /// <summary>Grant expiry settings (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Expiry { get; set; }

    /// <summary>Threshold billing settings (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ThresholdBilling { get; set; }

    /// <summary>Feature overrides (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? FeatureOverride { get; set; }

    /// <summary>Entity type feature for per-entity grants (internal Autumn field).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityFeatureId { get; set; }
}

/// <summary>A plan item as returned inside <see cref="Plan.Items"/>.</summary>
public sealed class PlanItemResponse
{
    /// <summary>Feature granted by the item.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>Grant per cycle.</summary>
    public decimal Included { get; set; }

    /// <summary>Whether the grant is unlimited.</summary>
    public bool Unlimited { get; set; }

    /// <summary>Whether entity balances are pooled.</summary>
    public bool Pooled { get; set; }

    /// <summary>Reset cycle, or null when the item never resets.</summary>
    public PlanItemReset? Reset { get; set; }

    /// <summary>Item price, or null when free.</summary>
    public PlanItemPrice? Price { get; set; }

    /// <summary>Rollover of unused balance at reset, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanItemRollover? Rollover { get; set; }

    /// <summary>Entity type feature for per-entity grants, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityFeatureId { get; set; }
}

/// <summary>Reset cycle of a plan item.</summary>
public sealed class PlanItemReset
{
    /// <summary>Interval: <c>one_off</c>, <c>minute</c>, <c>hour</c>, <c>day</c>, <c>week</c>, <c>month</c>, <c>quarter</c>, <c>semi_annual</c>, <c>year</c>.</summary>
    [JsonRequired]
    public string Interval { get; set; } = "";

    /// <summary>Number of intervals per cycle (default 1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IntervalCount { get; set; }
}

/// <summary>Price of a plan item.</summary>
public sealed class PlanItemPrice
{
    /// <summary>Flat amount per billing unit.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Amount { get; set; }

    /// <summary>Price tiers (instead of <see cref="Amount"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PriceTier>? Tiers { get; set; }

    /// <summary>Tier behaviour: <c>graduated</c> or <c>volume</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TierBehavior { get; set; }

    /// <summary>Billing interval.</summary>
    [JsonRequired]
    public string Interval { get; set; } = "";

    /// <summary>Number of intervals per billing cycle.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IntervalCount { get; set; }

    /// <summary>Usage is rounded up to this many units when billed (default 1; always written in responses).</summary>
    public decimal? BillingUnits { get; set; }

    /// <summary>Billing method: <c>prepaid</c> or <c>usage_based</c>.</summary>
    [JsonRequired]
    public string BillingMethod { get; set; } = "";

    /// <summary>Max units purchasable beyond <c>included</c>; null = uncapped (always written).</summary>
    public decimal? MaxPurchase { get; set; }
}

/// <summary>One tier of a tiered price.</summary>
public sealed class PriceTier
{
    /// <summary>Upper bound of the tier: a number or the string <c>"inf"</c>.</summary>
    [JsonRequired]
    public JsonElement? To { get; set; }

    /// <summary>Amount per unit within the tier (always written).</summary>
    public decimal? Amount { get; set; }

    /// <summary>Flat amount for reaching the tier.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? FlatAmount { get; set; }
}

/// <summary>Rollover of unused plan-item balance at reset.</summary>
public sealed class PlanItemRollover
{
    /// <summary>Max amount rolled over; null = unlimited (always written).</summary>
    public decimal? Max { get; set; }

    /// <summary>Max rolled over as a percentage of the grant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? MaxPercentage { get; set; }

    /// <summary>Expiry unit: <c>month</c> or <c>forever</c>.</summary>
    [JsonRequired]
    public string ExpiryDurationType { get; set; } = "";

    /// <summary>Number of expiry units.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ExpiryDurationLength { get; set; }
}

/// <summary>Base price of a plan.</summary>
public sealed class PlanPrice
{
    /// <summary>Amount per interval.</summary>
    [JsonRequired]
    public decimal Amount { get; set; }

    /// <summary>Interval: <c>one_off</c>, <c>week</c>, <c>month</c>, <c>quarter</c>, <c>semi_annual</c>, <c>year</c>.</summary>
    [JsonRequired]
    public string Interval { get; set; } = "";

    /// <summary>Number of intervals per billing cycle.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IntervalCount { get; set; }
}

/// <summary>Free trial of a plan.</summary>
public sealed class FreeTrial
{
    /// <summary>Trial length in <see cref="DurationType"/> units.</summary>
    [JsonRequired]
    public int DurationLength { get; set; }

    /// <summary>Unit: <c>day</c>, <c>month</c> or <c>year</c> (always written).</summary>
    public string? DurationType { get; set; }

    /// <summary>Whether a card is required to start the trial (always written).</summary>
    public bool? CardRequired { get; set; }

    /// <summary>What happens at the end: <c>bill</c> or <c>revert</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OnEnd { get; set; }
}

/// <summary>Eligibility of a customer for a plan (plans.list/get with a customer).</summary>
public sealed class CustomerEligibility
{
    /// <summary>What attaching would do: <c>activate</c>, <c>upgrade</c>, <c>downgrade</c>, <c>none</c>, <c>purchase</c>.</summary>
    public string AttachAction { get; set; } = "";

    /// <summary>Current status of the plan for the customer, if attached.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Status { get; set; }

    /// <summary>Whether a trial is still available.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? TrialAvailable { get; set; }

    /// <summary>Whether the plan is being canceled.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Canceling { get; set; }

    /// <summary>Whether the customer is trialing the plan.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Trialing { get; set; }
}
