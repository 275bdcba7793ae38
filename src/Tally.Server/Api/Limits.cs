using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api;

/// <summary>
/// Ranges the engine can compute with. Beyond them decimal arithmetic overflows or a date leaves the calendar, which
/// would be a 500 (and the SDK turns a 500 on check/track into "allowed"), or would store a balance no later read can
/// compute. 1e15 is also about where Autumn's JavaScript numbers stop being exact integers.
/// </summary>
internal static class Limits
{
    public const decimal MaxQuantity = 1_000_000_000_000_000m;

    /// <summary>Credit costs multiply quantities, so they stay far smaller.</summary>
    public const decimal MaxCreditCost = 1_000_000_000m;

    /// <summary>9999-12-31T23:59:59.999Z, the last moment a DateTimeOffset holds.</summary>
    public const long MaxTimestamp = 253_402_300_799_999;

    /// <summary>A reset or billing cycle of at most a thousand intervals (a thousand years at most).</summary>
    public const int MaxIntervalCount = 1000;

    public static Reply? Quantity(TenantId t, string field, decimal? value) =>
        value is { } v && Math.Abs(v) > MaxQuantity ? Errors.Invalid(t, $"{field}: must be between -1e15 and 1e15") : null;

    public static Reply? Timestamp(TenantId t, string field, long? ms) =>
        ms is { } v && v is < 0 or > MaxTimestamp ? Errors.Invalid(t, $"{field}: must be milliseconds since the epoch, from 0 to {MaxTimestamp}") : null;

    public static Reply? Count(TenantId t, string field, int? count) =>
        count is > MaxIntervalCount ? Errors.Invalid(t, $"{field}: must be at most {MaxIntervalCount}") : null;

    /// <summary>The first error among several checks, or null.</summary>
    public static Reply? First(params Reply?[] checks) => checks.FirstOrDefault(c => c is not null);
}
