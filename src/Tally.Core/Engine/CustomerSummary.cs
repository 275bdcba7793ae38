using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// The customer-level balance of one feature as the stored state shows it, kept on the feature's
/// <see cref="SourceOrder"/>: a check answers with it as is, and a track's answer replaces only the entries of the
/// sources it moved, instead of summarising every grant of the feature on every request. Used only while the
/// customer has no rollover buckets (those join the sums per source). Valid for the span of time in which no source
/// of the feature expires; outside it the engine summarises afresh.
/// </summary>
internal sealed class CustomerSummary
{
    private CustomerSummary(BalanceSummary? summary, BreakdownItem[] items, DateTimeOffset validFrom, DateTimeOffset validUntil)
    {
        Summary = summary;
        Items = items;
        ValidFrom = validFrom;
        ValidUntil = validUntil;
    }

    private const int MaxPatched = 256;

    /// <summary>What the customer sees; null when no source is live.</summary>
    public BalanceSummary? Summary { get; }

    /// <summary>The breakdown, in view order (shared with <see cref="Summary"/>; never written after it is built).</summary>
    private BreakdownItem[] Items { get; }

    // Every source expiring at or before ValidFrom is expired, every other one is live, for any now in [from, until).
    private DateTimeOffset ValidFrom { get; }
    private DateTimeOffset ValidUntil { get; }

    /// <summary>The cached summary for <paramref name="now"/>, built (and kept on the order) when missing or out of date.</summary>
    public static CustomerSummary For(SourceOrder order, string featureId, DateTimeOffset now)
    {
        if (order.Summary is { } cached && cached.ValidFrom <= now && now < cached.ValidUntil)
        {
            return cached;
        }
        var from = DateTimeOffset.MinValue;
        var until = DateTimeOffset.MaxValue;
        var items = new List<BreakdownItem>(order.View.Length);
        foreach (var s in order.View)
        {
            if (s.ExpiresAt is { } e)
            {
                if (e <= now) from = e > from ? e : from;
                else until = e < until ? e : until;
            }
            if (!s.IsExpired(now) && !s.IsDrained)
            {
                items.Add(BalanceView.Item(s));
            }
        }
        var built = Build(featureId, [.. items], from, until);
        order.Summary = built;
        return built;
    }

    /// <summary>
    /// The summary a unit sees: the cached one with the sources this unit changed swapped in; null in <paramref name="result"/>
    /// with false returned when a change moves a source in or out of view (the caller then summarises afresh).
    /// </summary>
    public bool TryWith(Working w, string featureId, IReadOnlySet<string>? keep, DateTimeOffset now, out BalanceSummary? result)
    {
        result = Summary;
        if (keep is { Count: > 0 })
        {
            // A kept source shows even drained; the cache leaves drained ones out, so one it did not see forces a fresh summary.
            foreach (var id in keep)
            {
                if (w.Source(id) is { IsDrained: true } s && s.FeatureId == featureId && !s.IsExpired(now)
                    && !(w.SourceOverlay?.ContainsKey(id) ?? false))
                {
                    result = null;
                    return false;
                }
            }
        }
        if (w.SourceOverlay is not { Count: > 0 } overlay)
        {
            return true;
        }
        BreakdownItem[]? items = null;
        foreach (var (id, changed) in overlay)
        {
            if (changed is null || changed.FeatureId != featureId || w.Base.FindSource(id) is not { } old)
            {
                // Deleted or added sources of this feature never reach here: the order would not hold (Working.OrderOf).
                continue;
            }
            var wasShown = !old.IsExpired(now) && !old.IsDrained;
            var shown = !changed.IsExpired(now) && (!changed.IsDrained || (keep?.Contains(id) ?? false));
            if (wasShown != shown)
            {
                result = null;
                return false;
            }
            if (!shown)
            {
                continue;
            }
            var i = IndexOf(items ?? Items, old);
            if (i < 0)
            {
                result = null;
                return false;
            }
            items ??= (BreakdownItem[])Items.Clone();
            items[i] = BalanceView.Item(changed);
        }
        if (items is not null)
        {
            result = BalanceView.Summarize(featureId, items);
        }
        return true;
    }

    /// <summary>This summary after the store committed <paramref name="updated"/> over <paramref name="old"/> (same key), or null.</summary>
    public CustomerSummary? Replaced(string featureId, BalanceSource old, BalanceSource updated)
    {
        // Patching costs a copy and a re-sum of every entry: worth it for a stack of grants, not for a feature held by
        // thousands of entities, whose entity tracks would each pay it for a customer-level view that is rarely read.
        if (Items.Length > MaxPatched)
        {
            return null;
        }
        var wasShown = !old.IsExpired(ValidFrom) && !old.IsDrained;
        var shown = !updated.IsExpired(ValidFrom) && !updated.IsDrained;
        if (wasShown != shown)
        {
            return null;
        }
        if (!shown)
        {
            return this;
        }
        var i = IndexOf(Items, old);
        if (i < 0)
        {
            return null;
        }
        var items = (BreakdownItem[])Items.Clone();
        items[i] = BalanceView.Item(updated);
        return Build(featureId, items, ValidFrom, ValidUntil);
    }

    private static CustomerSummary Build(string featureId, BreakdownItem[] items, DateTimeOffset from, DateTimeOffset until) =>
        new(items.Length == 0 ? null : BalanceView.Summarize(featureId, items), items, from, until);

    private static int IndexOf(BreakdownItem[] items, BalanceSource s)
    {
        int lo = 0, hi = items.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = SourceOrder.ViewComparer.Compare(items[mid].Source, s);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
}
