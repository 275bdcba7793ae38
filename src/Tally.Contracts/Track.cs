using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>balances.track</c> (and each item of <c>balances.batch_track</c>).</summary>
public sealed class TrackParams
{
    /// <summary>Customer to charge.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Feature to deduct from (exactly one of this and <see cref="EventName"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FeatureId { get; set; }

    /// <summary>Event name fanning out to every feature that lists it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EventName { get; set; }

    /// <summary>Entity to charge.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Amount to deduct (default 1; negative refunds).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? Value { get; set; }

    /// <summary>Free-form event properties.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Properties { get; set; }

    /// <summary>Event time (ms since epoch; default now; not in the future).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Timestamp { get; set; }

    /// <summary>Overage behaviour: <c>cap</c> (default), <c>overflow</c> or <c>reject</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OverageBehavior { get; set; }

    /// <summary>Queue the track and answer 202.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Async { get; set; }

    /// <summary>Reservation to hold until <c>balances.finalize</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LockParams? Lock { get; set; }

    /// <summary>Idempotency key (not in the SDK; accepted from other clients).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? IdempotencyKey { get; set; }
}

/// <summary>Lock (reservation) settings of a check or track.</summary>
public sealed class LockParams
{
    /// <summary>Caller-chosen lock id (at most 256 characters).</summary>
    [JsonRequired]
    public string LockId { get; set; } = "";

    /// <summary>Must be true.</summary>
    [JsonRequired]
    public bool Enabled { get; set; }

    /// <summary>Auto-release time (ms since epoch).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ExpiresAt { get; set; }

    /// <summary>Overage behaviour of the reservation (check only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OverageBehavior { get; set; }
}

/// <summary>Response of <c>balances.track</c>.</summary>
public sealed class BalancesTrackResponse
{
    /// <summary>Customer charged.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>Entity charged, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Event name tracked, if tracked by event name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EventName { get; set; }

    /// <summary>Requested value (not the amount actually deducted).</summary>
    public decimal Value { get; set; }

    /// <summary>Balance of the feature charged, or null (always written).</summary>
    public Balance? Balance { get; set; }

    /// <summary>Balances of every related feature, when there are at least two.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, Balance?>? Balances { get; set; }

    /// <summary>Deductions applied.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<Deduction>? Deductions { get; set; }
}
