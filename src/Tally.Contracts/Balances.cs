using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>A customer's or entity's balance of one non-boolean feature.</summary>
public sealed class Balance
{
    /// <summary>Feature id.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>The feature object, when expanded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Feature? Feature { get; set; }

    /// <summary>Total granted: included + prepaid over all sources, plus rollovers.</summary>
    public decimal Granted { get; set; }

    /// <summary>Total remaining, never negative.</summary>
    public decimal Remaining { get; set; }

    /// <summary>Total usage; exceeds <see cref="Granted"/> when in overage.</summary>
    public decimal Usage { get; set; }

    /// <summary>Whether any source is unlimited.</summary>
    public bool Unlimited { get; set; }

    /// <summary>Whether any source may go negative (usage-based pricing).</summary>
    public bool OverageAllowed { get; set; }

    /// <summary>Max purchasable beyond included; null if uncapped or not applicable.</summary>
    public decimal? MaxPurchase { get; set; }

    /// <summary>Earliest next reset among sources (ms since epoch); null if none resets.</summary>
    public long? NextResetAt { get; set; }

    /// <summary>One item per source ("stacked balances").</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<BalanceBreakdown>? Breakdown { get; set; }

    /// <summary>Rollover buckets.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<BalanceRollover>? Rollovers { get; set; }
}

/// <summary>One source (plan item or standalone grant) of a <see cref="Balance"/>.</summary>
public sealed class BalanceBreakdown
{
    /// <summary>Source id (the <c>balance_id</c> given at create, or an internal id).</summary>
    public string Id { get; set; } = "";

    /// <summary>Plan the source comes from; null for a standalone grant.</summary>
    public string? PlanId { get; set; }

    /// <summary>Included allowance plus manual adjustment.</summary>
    public decimal IncludedGrant { get; set; }

    /// <summary>Prepaid (purchased) quantity.</summary>
    public decimal PrepaidGrant { get; set; }

    /// <summary>Remaining on this source, never negative.</summary>
    public decimal Remaining { get; set; }

    /// <summary>Usage of this source.</summary>
    public decimal Usage { get; set; }

    /// <summary>Whether this source is unlimited.</summary>
    public bool Unlimited { get; set; }

    /// <summary>Reset cycle, or null when the source never resets.</summary>
    public BreakdownReset? Reset { get; set; }

    /// <summary>Price of the source, or null when free.</summary>
    public BreakdownPrice? Price { get; set; }

    /// <summary>Expiry (ms since epoch), or null.</summary>
    public long? ExpiresAt { get; set; }
}

/// <summary>Reset cycle of a balance source or deduction.</summary>
public sealed class BreakdownReset
{
    /// <summary>Interval (one of the reset intervals, or <c>multiple</c>).</summary>
    public string Interval { get; set; } = "";

    /// <summary>Number of intervals per cycle.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IntervalCount { get; set; }

    /// <summary>Next reset (ms since epoch), or null.</summary>
    public long? ResetsAt { get; set; }
}

/// <summary>Price of a balance source.</summary>
public sealed class BreakdownPrice
{
    /// <summary>Flat amount per billing unit.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Amount { get; set; }

    /// <summary>Price tiers.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PriceTier>? Tiers { get; set; }

    /// <summary>Tier behaviour: <c>graduated</c> or <c>volume</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TierBehavior { get; set; }

    /// <summary>Billing units.</summary>
    public decimal BillingUnits { get; set; } = 1;

    /// <summary>Billing method: <c>prepaid</c> or <c>usage_based</c>.</summary>
    public string BillingMethod { get; set; } = "";

    /// <summary>Max purchasable beyond included, or null.</summary>
    public decimal? MaxPurchase { get; set; }
}

/// <summary>A rollover bucket of a balance.</summary>
public sealed class BalanceRollover
{
    /// <summary>Amount rolled over.</summary>
    public decimal Granted { get; set; }

    /// <summary>Amount still available.</summary>
    public decimal Balance { get; set; }

    /// <summary>Expiry (ms since epoch).</summary>
    public long? ExpiresAt { get; set; }
}

/// <summary>A boolean feature the customer or entity has.</summary>
public sealed class Flag
{
    /// <summary>Source id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Plan the flag comes from; null for a standalone grant.</summary>
    public string? PlanId { get; set; }

    /// <summary>Expiry (ms since epoch), or null.</summary>
    public long? ExpiresAt { get; set; }

    /// <summary>Feature id.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>The feature object, when expanded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Feature? Feature { get; set; }
}

/// <summary>One deduction applied by a track (or stored on an event).</summary>
public sealed class Deduction
{
    /// <summary>Source the amount was taken from.</summary>
    public string BalanceId { get; set; } = "";

    /// <summary>Feature of that source.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>Plan of that source; null for a standalone grant.</summary>
    public string? PlanId { get; set; }

    /// <summary>Reset cycle of that source, or null.</summary>
    public BreakdownReset? Reset { get; set; }

    /// <summary>Amount taken (&gt; 0) or restored (&lt; 0).</summary>
    public decimal Value { get; set; }
}
