using Tally.Core.Storage;

namespace Tally.Core.Audit;

/// <summary>One row of the hourly usage rollup: a customer's ledger name, UTC hour and entity ("" = customer level).</summary>
public readonly record struct RollupKey(string FeatureId, long HourMs, string EntityKey);

/// <summary>What a rollup row holds: how many tracks and what their values summed to.</summary>
public readonly record struct RollupTotals(long Count, decimal Sum);

/// <summary>A rollup row that is not what the customer's ledger adds up to (a missing row on either side counts as zero).</summary>
public sealed record RollupDifference(string CustomerId, RollupKey Key, RollupTotals Stored, RollupTotals Ledger);

/// <summary>
/// Checks the hourly usage rollup <c>events.aggregate</c> reads against the ledger it is kept from: every tracked row
/// (refunds included) adds one to its hour's count and its value to the sum, exactly as the stores do on write.
/// </summary>
public static class RollupAudit
{
    /// <summary>Adds ledger rows (any kind; only tracked usage counts) to the rollup recomputed so far.</summary>
    public static void Fold(Dictionary<RollupKey, RollupTotals> rollup, string kind, string eventName, long timestampMs, string? entityId, decimal value)
    {
        ArgumentNullException.ThrowIfNull(rollup);
        if (kind != nameof(Domain.LedgerKind.Track))
        {
            return;
        }
        var key = new RollupKey(eventName, UsageRollup.HourOf(timestampMs), UsageRollup.EntityKey(entityId));
        var t = rollup.GetValueOrDefault(key);
        rollup[key] = new RollupTotals(t.Count + 1, t.Sum + value);
    }

    /// <summary>
    /// Every row present on either side whose count differs, or whose sum differs by more than
    /// <paramref name="relativeTolerance"/> of the larger sum (a store that keeps sums in floating point passes the
    /// rounding its additions can accumulate; an exact store passes 0). Ordered by feature, hour and entity.
    /// </summary>
    public static List<RollupDifference> Compare(string customerId, IReadOnlyDictionary<RollupKey, RollupTotals> stored,
        IReadOnlyDictionary<RollupKey, RollupTotals> recomputed, decimal relativeTolerance)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(recomputed);
        var differences = new List<RollupDifference>();
        foreach (var key in stored.Keys.Union(recomputed.Keys))
        {
            var s = stored.GetValueOrDefault(key);
            var l = recomputed.GetValueOrDefault(key);
            var allowed = relativeTolerance * Math.Max(Math.Abs(s.Sum), Math.Abs(l.Sum));
            if (s.Count != l.Count || Math.Abs(s.Sum - l.Sum) > allowed)
            {
                differences.Add(new RollupDifference(customerId, key, s, l));
            }
        }
        differences.Sort((a, b) =>
        {
            var byFeature = string.CompareOrdinal(a.Key.FeatureId, b.Key.FeatureId);
            var byHour = a.Key.HourMs.CompareTo(b.Key.HourMs);
            return byFeature != 0 ? byFeature : byHour != 0 ? byHour : string.CompareOrdinal(a.Key.EntityKey, b.Key.EntityKey);
        });
        return differences;
    }
}
