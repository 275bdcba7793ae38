using Tally.Core.Domain;

namespace Tally.Core.Audit;

/// <summary>A grant bucket as the usage export sees it: what it includes and when it was in force.</summary>
public sealed record GrantWindow(string FeatureId, decimal Included, bool Unlimited, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>One row of the usage export: a customer's use of one feature in one calendar month (UTC).</summary>
public sealed record UsageRow(string CustomerId, string FeatureId, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd,
    decimal Usage, decimal? Included, decimal Overage);

/// <summary>
/// Usage for invoicing, per customer, feature and period. A period is a calendar month in UTC, cut to the requested
/// range, so rows of different customers line up whatever their billing anchors. Usage is what the ledger's usage rows
/// (tracks, lock settlements, seats) moved on the feature's balances in the period, in the balance's own unit (credits
/// for a credit system), refunds netted. Included is the allowance (included plus prepaid) of the grants in force
/// at some time in the period, null when one is unlimited; overage is max(0, usage − included).
/// </summary>
public static class UsageExport
{
    /// <summary>Whether a ledger row of this kind is usage (the others grant, refill or adjust).</summary>
    public static bool IsUsage(LedgerKind kind) => kind is LedgerKind.Track or LedgerKind.Lock or LedgerKind.Seat;

    /// <summary>The first instant of the calendar month (UTC) holding <paramref name="t"/>.</summary>
    public static DateTimeOffset MonthOf(DateTimeOffset t)
    {
        var u = t.ToUniversalTime();
        return new DateTimeOffset(u.Year, u.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Adds one usage row's deltas to the sums per (month, feature).</summary>
    public static void Fold(Dictionary<(DateTimeOffset Month, string FeatureId), decimal> usage, DateTimeOffset timestamp, IEnumerable<SourceDelta> deltas)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(deltas);
        var month = MonthOf(timestamp);
        foreach (var d in deltas)
        {
            var key = (month, d.FeatureId);
            usage[key] = usage.GetValueOrDefault(key) + d.Value;
        }
    }

    /// <summary>
    /// The rows of one customer for [<paramref name="from"/>, <paramref name="to"/>): a row per month and per feature
    /// that was used or granted in it, months in order, features in ordinal order.
    /// </summary>
    public static IEnumerable<UsageRow> Rows(string customerId, IReadOnlyList<GrantWindow> grants,
        IReadOnlyDictionary<(DateTimeOffset Month, string FeatureId), decimal> usage, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(usage);
        for (var month = MonthOf(from); month < to; month = month.AddMonths(1))
        {
            var start = month < from ? from : month;
            var next = month.AddMonths(1);
            var end = next > to ? to : next;
            var active = grants.Where(g => g.CreatedAt < end && (g.ExpiresAt is null || g.ExpiresAt > start)).ToList();
            var features = active.Select(g => g.FeatureId)
                .Concat(usage.Keys.Where(k => k.Month == month).Select(k => k.FeatureId))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            foreach (var feature in features)
            {
                var used = usage.GetValueOrDefault((month, feature));
                var mine = active.Where(g => g.FeatureId == feature).ToList();
                decimal? included = mine.Any(g => g.Unlimited) ? null : mine.Sum(g => g.Included);
                var overage = included is { } inc ? Math.Max(0m, used - inc) : 0m;
                yield return new UsageRow(customerId, feature, start, end, used, included, overage);
            }
        }
    }
}
