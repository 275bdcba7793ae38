namespace Tally.Core.Domain;

public enum LedgerKind
{
    /// <summary>A track (or check with send_event): listed by events.list.</summary>
    Track,
    /// <summary>balances.update / balances.delete recalculation.</summary>
    Adjustment,
    /// <summary>A new bucket was granted (attach, balances.create, entity sub-balance).</summary>
    Grant,
    /// <summary>An entity was created or deleted: its seat moved the type feature.</summary>
    Seat,
    /// <summary>A reset refilled a bucket (and maybe created a rollover).</summary>
    Reset,
    /// <summary>A lock was settled or released.</summary>
    Lock,
}

/// <summary>What one source (or its rollover) gave up: positive consumed, negative restored.</summary>
public sealed record SourceDelta
{
    public required string SourceId { get; init; }
    public required string FeatureId { get; init; }
    public string? PlanId { get; init; }
    public ResetInterval? Interval { get; init; }
    public int IntervalCount { get; init; } = 1;
    public DateTimeOffset? ResetsAt { get; init; }

    /// <summary>Amount in the source's own unit (credits for a credit system).</summary>
    public decimal Value { get; init; }

    /// <summary>Set when the amount came from a rollover bucket of the source.</summary>
    public string? RolloverId { get; init; }
}

/// <summary>One append-only ledger row. Balances are recomputable from the grants and these deltas.</summary>
public sealed record LedgerEvent
{
    public required string Id { get; init; }
    public required LedgerKind Kind { get; init; }
    public required string CustomerId { get; init; }
    public string? EntityId { get; init; }

    /// <summary>The tracked feature id, or the event name when tracked by event name.</summary>
    public required string EventName { get; init; }
    public decimal Value { get; init; }
    public string PropertiesJson { get; init; } = "{}";
    public DateTimeOffset Timestamp { get; init; }
    public string? IdempotencyKey { get; init; }
    public IReadOnlyList<SourceDelta> Deltas { get; init; } = [];

    /// <summary>Insertion order, assigned by the store.</summary>
    public long Seq { get; init; }
}
