using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>events.aggregate</c>: usage of one or more features binned over a time range.</summary>
public sealed class AggregateEventsParams
{
    /// <summary>Only usage of this customer (required with <see cref="AggregateOn"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }

    /// <summary>Only usage recorded against this entity.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>The feature id(s) to aggregate: a string or an array of strings (required).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? FeatureId { get; set; }

    /// <summary>
    /// <c>properties.&lt;name&gt;</c>, <c>$customer_id</c>, <c>$entity_id</c> or <c>$plan_id</c>: adds
    /// <see cref="AggregatePeriod.GroupedValues"/> to each period.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? GroupBy { get; set; }

    /// <summary><c>24h</c>, <c>7d</c>, <c>30d</c>, <c>90d</c>, <c>last_cycle</c>, <c>1bc</c> or <c>3bc</c>; exactly one of this and <see cref="CustomRange"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Range { get; set; }

    /// <summary><c>hour</c>, <c>day</c>, <c>week</c> (Monday-aligned) or <c>month</c>; default hour for 24h, else day.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BinSize { get; set; }

    /// <summary>An explicit window (ms since epoch); exactly one of this and <see cref="Range"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AggregateCustomRange? CustomRange { get; set; }

    /// <summary>Up to 5 property equalities (<c>{"model": "gpt-4"}</c>) an event must match to count.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, JsonElement>? FilterBy { get; set; }

    /// <summary>Distinct group values kept (1–250, default 9); the rest are summed under <c>Other</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxGroups { get; set; }

    /// <summary><c>deducted</c> adds <see cref="AggregateEventsResponse.Deductions"/>: what each balance gave up.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AggregateOn { get; set; }
}

/// <summary>The window of <c>events.aggregate</c> (ms since epoch, both ends inclusive).</summary>
public sealed class AggregateCustomRange
{
    /// <summary>Start of the window.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Start { get; set; }

    /// <summary>End of the window.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? End { get; set; }
}

/// <summary>Answer of <c>events.aggregate</c>.</summary>
public sealed class AggregateEventsResponse
{
    /// <summary>Every bin of the window in time order, empty ones included (with zeros).</summary>
    public List<AggregatePeriod> List { get; set; } = [];

    /// <summary>Per feature: how many tracks and what their values summed to over the whole window.</summary>
    public Dictionary<string, AggregateTotal> Total { get; set; } = [];

    /// <summary>Per bin, what each balance gave up (only with <c>aggregate_on: "deducted"</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<DeductionPeriod>? Deductions { get; set; }
}

/// <summary>One bin of <c>events.aggregate</c>.</summary>
public sealed class AggregatePeriod
{
    /// <summary>Start of the bin, ms since epoch (UTC).</summary>
    public long Period { get; set; }

    /// <summary>Summed values per feature id.</summary>
    public Dictionary<string, decimal> Values { get; set; } = [];

    /// <summary>Per feature id, summed values per group value (only with <c>group_by</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, Dictionary<string, decimal>>? GroupedValues { get; set; }
}

/// <summary>Window total of one feature.</summary>
public sealed class AggregateTotal
{
    /// <summary>Number of tracks (refunds included).</summary>
    public long Count { get; set; }

    /// <summary>Sum of their values.</summary>
    public decimal Sum { get; set; }
}

/// <summary>One bin of the per-balance breakdown.</summary>
public sealed class DeductionPeriod
{
    /// <summary>Start of the bin, ms since epoch (UTC), as in <see cref="AggregatePeriod.Period"/>.</summary>
    public long Period { get; set; }

    /// <summary>Keyed by the feature that owns the balance drawn from (not the tracked one).</summary>
    public Dictionary<string, DeductionFeature> Values { get; set; } = [];

    /// <summary>Per balance id, what each group value drew from it (only with <c>group_by</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, Dictionary<string, DeductionGroupValue>>? GroupedValues { get; set; }
}

/// <summary>What one group value drew from one balance in a bin.</summary>
public sealed class DeductionGroupValue
{
    /// <summary>Amount given up.</summary>
    public decimal Deducted { get; set; }

    /// <summary>Balance units per tracked unit; null when 1:1 or when it varied.</summary>
    public decimal? CreditCost { get; set; }
}

/// <summary>What the balances of one feature gave up in a bin.</summary>
public sealed class DeductionFeature
{
    /// <summary><c>credit_system</c> (amounts are credits) or <c>metered</c>.</summary>
    public string FeatureType { get; set; } = "metered";

    /// <summary>Total given up (negative when refunds restored more than was used).</summary>
    public decimal Deducted { get; set; }

    /// <summary>Events that drew on these balances.</summary>
    public long Events { get; set; }

    /// <summary>Per balance.</summary>
    public List<DeductionBalance> Balances { get; set; } = [];
}

/// <summary>What one balance gave up in a bin.</summary>
public sealed class DeductionBalance
{
    /// <summary>The balance (or rollover) drawn from.</summary>
    public string BalanceId { get; set; } = "";

    /// <summary>The entity owning the balance, or null for a customer-level one.</summary>
    public string? EntityId { get; set; }

    /// <summary>The plan the balance came with, or null.</summary>
    public string? PlanId { get; set; }

    /// <summary>The balance's reset as recorded at deduction time, or null.</summary>
    public DeductionReset? Reset { get; set; }

    /// <summary>Balance units per tracked unit; null when 1:1 or when it varied.</summary>
    public decimal? CreditCost { get; set; }

    /// <summary>Amount given up.</summary>
    public decimal Deducted { get; set; }

    /// <summary>Events that drew on it.</summary>
    public long Events { get; set; }
}

/// <summary>A balance's reset as recorded in the ledger.</summary>
public sealed class DeductionReset
{
    /// <summary>The reset interval (<c>month</c>, <c>day</c>, …).</summary>
    public string Interval { get; set; } = "";

    /// <summary>When the balance next reset, ms since epoch, or null.</summary>
    public long? ResetsAt { get; set; }
}
