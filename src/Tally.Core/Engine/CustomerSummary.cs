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
    private CustomerSummary(BalanceSummary? summary, BreakdownItem[] items, Totals totals, DateTimeOffset validFrom, DateTimeOffset validUntil)
    {
        Summary = summary;
        Items = items;
        _totals = totals;
        ValidFrom = validFrom;
        ValidUntil = validUntil;
    }

    // The summary's three sums, kept so that swapping one entry costs O(1) instead of a re-sum of every grant.
    private readonly Totals _totals;

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
        // Entries of a balance too large to patch are made afresh after every commit of the feature: not worth rendering once.
        var shared = order.View.Length <= MaxPatched;
        foreach (var s in order.View)
        {
            if (s.ExpiresAt is { } e)
            {
                if (e <= now) from = e > from ? e : from;
                else until = e < until ? e : until;
            }
            if (!s.IsExpired(now) && !s.IsDrained)
            {
                items.Add(BalanceView.Item(s, shared));
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
        var totals = _totals;
        var exact = true;
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
            var item = BalanceView.Item(changed);
            if (exact && totals.TryReplace(items[i], item, out var next))
            {
                totals = next;
            }
            else
            {
                exact = false;
            }
            items[i] = item;
        }
        if (items is not null)
        {
            result = exact ? totals.Patch(Summary!, items) : BalanceView.Summarize(featureId, items);
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
        var item = BalanceView.Item(updated, shared: true);
        var exact = _totals.TryReplace(items[i], item, out var totals);
        items[i] = item;
        return exact ? new(totals.Patch(Summary!, items), items, totals, ValidFrom, ValidUntil) : Build(featureId, items, ValidFrom, ValidUntil);
    }

    private static CustomerSummary Build(string featureId, BreakdownItem[] items, DateTimeOffset from, DateTimeOffset until) =>
        new(items.Length == 0 ? null : BalanceView.Summarize(featureId, items), items, Totals.Of(items), from, until);

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

    /// <summary>
    /// The sums of <see cref="BalanceView.Summarize(string, BreakdownItem[])"/> over the same entries, as
    /// <see cref="ExactSum"/>s: an entry swapped for one that differs only in what is summed patches the summary in O(1).
    /// </summary>
    private struct Totals
    {
        private ExactSum _granted;
        private ExactSum _remaining;
        private ExactSum _usage;

        public static Totals Of(BreakdownItem[] items)
        {
            var t = new Totals { _granted = ExactSum.Empty, _remaining = ExactSum.Empty, _usage = ExactSum.Empty };
            foreach (var item in items)
            {
                t._granted.Add(item.Source.Granted);
                t._remaining.Add(item.Remaining);
                t._usage.Add(item.Source.Usage);
            }
            return t;
        }

        /// <summary>These totals with <paramref name="old"/> swapped for <paramref name="updated"/>; false when that needs a re-sum.</summary>
        public readonly bool TryReplace(BreakdownItem old, BreakdownItem updated, out Totals result)
        {
            result = this;
            var (a, b) = (old.Source, updated.Source);
            // Everything else the summary takes from a source (flags, caps, the next reset) must be unchanged.
            return a.Unlimited == b.Unlimited && a.UsageAllowed == b.UsageAllowed && SameDecimal(a.MaxPurchase, b.MaxPurchase)
                && a.NextResetAt == b.NextResetAt
                && _granted.TryReplace(a.Granted, b.Granted, out result._granted)
                && _remaining.TryReplace(old.Remaining, updated.Remaining, out result._remaining)
                && _usage.TryReplace(a.Usage, b.Usage, out result._usage);
        }

        /// <summary><paramref name="summary"/> (of the entries these totals came from) with these totals and <paramref name="items"/>.</summary>
        public readonly BalanceSummary Patch(BalanceSummary summary, BreakdownItem[] items) => summary.Unlimited
            ? summary with { Usage = _usage.Value, Breakdown = items }
            : summary with { Granted = _granted.Value, Remaining = _remaining.Value, Usage = _usage.Value, Breakdown = items };

        // The same value written the same way (a cap of 10 and one of 10.0 print differently).
        private static bool SameDecimal(decimal? x, decimal? y) =>
            x is { } a ? y is { } b && a == b && a.Scale == b.Scale : y is null;
    }
}
