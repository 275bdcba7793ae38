namespace Tally.Core.Domain;

/// <summary>
/// One feature's sources in the two orders the engine reads them in, derived from a <see cref="CustomerState"/> and
/// kept on it until the feature's grant set changes: a request then walks a sorted array instead of collecting and
/// sorting every grant of the feature. Neither order depends on a balance, so a track only patches the entry it moved.
/// Both arrays start with the customer-level sources (<see cref="Shared"/> of them), then each entity's, by entity id.
/// </summary>
public sealed class SourceOrder
{
    private SourceOrder(BalanceSource[] deduction, BalanceSource[] view, int shared)
    {
        Deduction = deduction;
        View = view;
        Shared = shared;
    }

    /// <summary>Within a scope, the waterfall's order (autumn-api.md §5.3), less what depends on the tracked feature.</summary>
    public BalanceSource[] Deduction { get; }

    /// <summary>Within a scope, creation order: the order a balance's breakdown lists its grants in.</summary>
    public BalanceSource[] View { get; }

    /// <summary>How many customer-level sources lead both arrays.</summary>
    public int Shared { get; }

    public static readonly IComparer<BalanceSource> DeductionComparer = new ByDeduction();
    public static readonly IComparer<BalanceSource> ViewComparer = new ByView();

    internal static SourceOrder Build(BalanceSource[] sources)
    {
        var view = (BalanceSource[])sources.Clone();
        Array.Sort(sources, DeductionComparer);
        Array.Sort(view, ViewComparer);
        var shared = 0;
        while (shared < sources.Length && sources[shared].EntityId is null)
        {
            shared++;
        }
        return new SourceOrder(sources, view, shared);
    }

    /// <summary>
    /// True when <paramref name="b"/> sorts exactly where <paramref name="a"/> did in both orders (and belongs to the same
    /// feature and scope), so it can replace it in place: what a track or a reset changes.
    /// </summary>
    public static bool SameKey(BalanceSource a, BalanceSource b) =>
        a.Id == b.Id && a.FeatureId == b.FeatureId && a.EntityId == b.EntityId && a.Unlimited == b.Unlimited
        && a.Resets == b.Resets && a.Interval == b.Interval && a.IntervalCount == b.IntervalCount && a.ExpiresAt == b.ExpiresAt
        && a.AddOn == b.AddOn && a.UsageAllowed == b.UsageAllowed && a.CreatedAt == b.CreatedAt && a.Seq == b.Seq;

    /// <summary>The customer-level balance derived from these sources (built by the engine on first use).</summary>
    internal Engine.CustomerSummary? Summary { get; set; }

    /// <summary>The live sources as the feature's own candidates (built by the engine on first use).</summary>
    internal Engine.LiveCandidates? Live { get; set; }

    /// <summary>Replaces <paramref name="old"/> by <paramref name="updated"/> (same key); false when it is not found.</summary>
    internal bool Replace(BalanceSource old, BalanceSource updated)
    {
        if (!Replace(Deduction, DeductionComparer, old, updated) || !Replace(View, ViewComparer, old, updated))
        {
            return false;
        }
        Summary = Summary?.Replaced(updated.FeatureId, old, updated);
        Live = Live?.Replaced(old, updated);
        return true;
    }

    private static bool Replace(BalanceSource[] ordered, IComparer<BalanceSource> comparer, BalanceSource old, BalanceSource updated)
    {
        var i = Array.BinarySearch(ordered, updated, comparer);
        if (i < 0 || !ReferenceEquals(ordered[i], old))
        {
            return false;
        }
        ordered[i] = updated;
        return true;
    }

    /// <summary>
    /// The waterfall's tie-breakers after scope and feature: unlimited first, resetting before not, shorter interval
    /// first, sooner expiry first, main before add-on, no usage before usage, older first, then seq and id.
    /// </summary>
    public static int CompareWithinScope(BalanceSource x, BalanceSource y)
    {
        int r;
        if ((r = y.Unlimited.CompareTo(x.Unlimited)) != 0) return r;
        if ((r = y.Resets.CompareTo(x.Resets)) != 0) return r;
        if (x.Resets && y.Resets)
        {
            var lx = x.Interval!.Value.NominalLength(x.IntervalCount);
            var ly = y.Interval!.Value.NominalLength(y.IntervalCount);
            if ((r = lx.CompareTo(ly)) != 0) return r;
        }
        if ((r = (x.ExpiresAt ?? DateTimeOffset.MaxValue).CompareTo(y.ExpiresAt ?? DateTimeOffset.MaxValue)) != 0) return r;
        if ((r = x.AddOn.CompareTo(y.AddOn)) != 0) return r;
        if ((r = x.UsageAllowed.CompareTo(y.UsageAllowed)) != 0) return r;
        if ((r = x.CreatedAt.CompareTo(y.CreatedAt)) != 0) return r;
        if ((r = x.Seq.CompareTo(y.Seq)) != 0) return r;
        return string.CompareOrdinal(x.Id, y.Id);
    }

    private static int CompareScope(BalanceSource x, BalanceSource y)
    {
        var r = (x.EntityId is null ? 0 : 1).CompareTo(y.EntityId is null ? 0 : 1);
        return r != 0 ? r : string.CompareOrdinal(x.EntityId, y.EntityId);
    }

    private sealed class ByDeduction : IComparer<BalanceSource>
    {
        public int Compare(BalanceSource? x, BalanceSource? y)
        {
            var r = CompareScope(x!, y!);
            return r != 0 ? r : CompareWithinScope(x!, y!);
        }
    }

    private sealed class ByView : IComparer<BalanceSource>
    {
        public int Compare(BalanceSource? x, BalanceSource? y)
        {
            var r = CompareScope(x!, y!);
            if (r != 0) return r;
            return (r = x!.Seq.CompareTo(y!.Seq)) != 0 ? r : string.CompareOrdinal(x.Id, y.Id);
        }
    }
}
