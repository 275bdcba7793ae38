using Tally.Core.Domain;

namespace Tally.Core.Storage;

/// <summary>
/// A read of the hourly usage rollup: tracked usage (ledger rows of kind <see cref="LedgerKind.Track"/>, refunds
/// included) summed per ledger name and UTC hour, optionally of one customer and/or one entity.
/// </summary>
public sealed record UsageQuery
{
    public string? CustomerId { get; init; }
    public string? EntityId { get; init; }

    /// <summary>The ledger names to read (feature ids, and event names that charge them).</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>Inclusive start, ms since epoch, a whole hour.</summary>
    public long FromHourMs { get; init; }

    /// <summary>Exclusive end, ms since epoch, a whole hour.</summary>
    public long ToHourMs { get; init; }
}

/// <summary>One hour of usage under one ledger name: how many tracks and what they summed to.</summary>
public sealed record UsageHour(string Name, long HourMs, long Count, decimal Sum);

/// <summary>The rollup's key arithmetic, shared by both stores so they bin identically.</summary>
public static class UsageRollup
{
    public const long HourMs = 3_600_000;

    /// <summary>The start of the UTC hour holding <paramref name="ms"/> (floored, also before 1970).</summary>
    public static long HourOf(long ms) => ms - (((ms % HourMs) + HourMs) % HourMs);

    /// <summary>The rollup's entity column: customer-level usage has none, stored as "" (entity ids are never empty).</summary>
    public static string EntityKey(string? entityId) => entityId ?? "";

    /// <summary>Whether a ledger row counts as usage in the rollup (tracks and refunds; grants, resets, seats do not).</summary>
    public static bool Counts(LedgerEvent e) => e.Kind == LedgerKind.Track;
}
