namespace Tally.Naive;

internal enum TrackStatus
{
    Tracked,
    NotFound,
    Insufficient,
}

internal readonly record struct TrackResult(TrackStatus Status, decimal Balance);

/// <summary>
/// One balance row per (customer, feature) and one event row per track: the whole naive design. No idempotency,
/// no grants or stacking, no resets, no entities; the database's own durability is the only durability.
/// </summary>
internal interface INaiveStore : IAsyncDisposable
{
    /// <summary>One line for the start-up log: which database, which durability settings.</summary>
    string Describe { get; }

    Task InitializeAsync(CancellationToken ct);

    /// <summary>Inserts the row unless it exists; false when it did.</summary>
    Task<bool> CreateAsync(string customerId, string featureId, decimal granted, CancellationToken ct);

    /// <summary>One transaction: the guarded decrement and the event row, committed durably before it returns.</summary>
    Task<TrackResult> TrackAsync(string customerId, string featureId, decimal value, CancellationToken ct);

    Task<decimal?> BalanceAsync(string customerId, string featureId, CancellationToken ct);
}
