using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>events.list</c>.</summary>
public sealed class ListEventsParams
{
    /// <summary>Cursor from a previous page (<c>""</c> = first page).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StartCursor { get; set; }

    /// <summary>Page size.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Limit { get; set; }

    /// <summary>Only events of this customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }

    /// <summary>Only events of this entity.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Only these event names: a string or an array of strings.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? FeatureId { get; set; }

    /// <summary>Only events in this time range.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ListEventsCustomRange? CustomRange { get; set; }
}

/// <summary>Time range filter of <c>events.list</c> (ms since epoch).</summary>
public sealed class ListEventsCustomRange
{
    /// <summary>Inclusive start.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Start { get; set; }

    /// <summary>End.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? End { get; set; }
}

/// <summary>A recorded usage event (items of <c>events.list</c>).</summary>
public sealed class EventItem
{
    /// <summary>Event id (<c>evt_…</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>Event time (ms since epoch).</summary>
    public long Timestamp { get; set; }

    /// <summary>Stored event name (the tracked feature id or event name).</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>Customer charged.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>Entity charged, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Requested value.</summary>
    public decimal Value { get; set; }

    /// <summary>Event properties object; <c>{}</c> by default.</summary>
    public JsonElement Properties { get; set; } = JsonDefaults.EmptyObject;

    /// <summary>Deductions applied; null for old events (always written).</summary>
    public List<Deduction>? Deductions { get; set; }
}
