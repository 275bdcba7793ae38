using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>balances.create</c> (a standalone grant).</summary>
public sealed class CreateBalanceParams
{
    /// <summary>Customer receiving the grant.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Feature granted.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Entity receiving the grant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Amount granted per cycle.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? IncludedGrant { get; set; }

    /// <summary>Whether the grant is unlimited.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Unlimited { get; set; }

    /// <summary>Reset cycle; absent means a one-time grant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BalanceReset? Reset { get; set; }

    /// <summary>Rollover of unused balance at reset (needs <see cref="Reset"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CreateBalanceRollover? Rollover { get; set; }

    /// <summary>Expiry (ms since epoch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ExpiresAt { get; set; }

    /// <summary>First reset boundary (ms since epoch; needs <see cref="Reset"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? NextResetAt { get; set; }

    /// <summary>Caller's handle for the grant (unique per customer).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BalanceId { get; set; }
}

/// <summary>Reset cycle of a standalone grant.</summary>
public sealed class BalanceReset
{
    /// <summary>Interval: <c>one_off</c>, <c>minute</c>, <c>hour</c>, <c>day</c>, <c>week</c>, <c>month</c>, <c>quarter</c>, <c>semi_annual</c>, <c>year</c>.</summary>
    [JsonRequired]
    public string Interval { get; set; } = "";

    /// <summary>Number of intervals per cycle (default 1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IntervalCount { get; set; }
}

/// <summary>Rollover settings of a standalone grant.</summary>
public sealed class CreateBalanceRollover
{
    /// <summary>Max amount rolled over (null = unlimited).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Max { get; set; }

    /// <summary>Max rolled over as a percentage of the grant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? MaxPercentage { get; set; }

    /// <summary>Expiry unit: <c>month</c> or <c>forever</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Duration { get; set; }

    /// <summary>Number of expiry units.</summary>
    [JsonRequired]
    public int Length { get; set; }
}

/// <summary>Body of <c>balances.update</c>.</summary>
public sealed class UpdateBalanceParams
{
    /// <summary>Customer whose balance changes.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Feature whose balance changes.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Entity whose balance changes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Set total remaining to exactly this value.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Remaining { get; set; }

    /// <summary>Add this delta to the balance (negative subtracts).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? AddToBalance { get; set; }

    /// <summary>Set usage to exactly this value.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Usage { get; set; }

    /// <summary>Change this cycle's grant (stored as an adjustment).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? IncludedGrant { get; set; }

    /// <summary>Only touch sources with this reset interval.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Interval { get; set; }

    /// <summary>Only touch this source.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BalanceId { get; set; }

    /// <summary>Move the reset boundary (ms since epoch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? NextResetAt { get; set; }

    /// <summary>Move the expiry (ms since epoch, in the future).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ExpiresAt { get; set; }
}

/// <summary>Body of <c>balances.delete</c>.</summary>
public sealed class DeleteBalanceParams
{
    /// <summary>Customer whose grant is deleted.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Entity whose grant is deleted.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Feature of the grant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FeatureId { get; set; }

    /// <summary>Grant to delete.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BalanceId { get; set; }

    /// <summary>Reset interval of the grant to delete.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Interval { get; set; }

    /// <summary>Re-deduct the deleted grant's usage from the remaining sources.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? RecalculateBalances { get; set; }
}

/// <summary>Body of <c>balances.finalize</c> (confirm or release a lock).</summary>
public sealed class FinalizeLockParams
{
    /// <summary>Lock to finalize.</summary>
    [JsonRequired]
    public string LockId { get; set; } = "";

    /// <summary>Action: <c>confirm</c> or <c>release</c>.</summary>
    [JsonRequired]
    public string Action { get; set; } = "";

    /// <summary>Final amount to settle to (confirm only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? OverrideValue { get; set; }

    /// <summary>Free-form event properties.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Properties { get; set; }
}
