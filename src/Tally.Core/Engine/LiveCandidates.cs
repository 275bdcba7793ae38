using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// A feature's live sources in deduction order, as candidates of the feature itself, kept on its
/// <see cref="SourceOrder"/>: a request on a feature without credit systems copies them instead of testing every grant.
/// Valid for the span of time in which no source of the feature expires; patched per committed source while small.
/// </summary>
internal sealed class LiveCandidates
{
    private const int MaxPatched = 256;

    private LiveCandidates(Candidate[] items, DateTimeOffset validFrom, DateTimeOffset validUntil)
    {
        Items = items;
        // An unlimited source goes first (Waterfall.Fill); the order puts it there unless it sits in a later scope.
        var firstUnlimited = Array.FindIndex(items, c => c.Source.Unlimited);
        InOrder = firstUnlimited <= 0;
        ValidFrom = validFrom;
        ValidUntil = validUntil;
    }

    /// <summary>The live sources, in order (never written after it is built).</summary>
    public Candidate[] Items { get; }

    /// <summary>True when <see cref="Items"/> is already the waterfall's final order (no unlimited source to move first).</summary>
    public bool InOrder { get; }

    // Every source expiring at or before ValidFrom is expired, every other one is not, for any now in [from, until).
    private DateTimeOffset ValidFrom { get; }
    private DateTimeOffset ValidUntil { get; }

    /// <summary>The cached candidates for <paramref name="now"/>, built (and kept on the order) when missing or out of date.</summary>
    public static LiveCandidates For(SourceOrder order, DateTimeOffset now)
    {
        if (order.Live is { } cached && cached.ValidFrom <= now && now < cached.ValidUntil)
        {
            return cached;
        }
        var from = DateTimeOffset.MinValue;
        var until = DateTimeOffset.MaxValue;
        var items = new List<Candidate>(order.Deduction.Length);
        foreach (var s in order.Deduction)
        {
            if (s.ExpiresAt is { } e)
            {
                if (e <= now) from = e > from ? e : from;
                else until = e < until ? e : until;
            }
            if (s.IsLive(now))
            {
                items.Add(new Candidate(s, 1m, true));
            }
        }
        var built = new LiveCandidates([.. items], from, until);
        order.Live = built;
        return built;
    }

    /// <summary>These candidates after the store committed <paramref name="updated"/> over <paramref name="old"/> (same key), or null.</summary>
    public LiveCandidates? Replaced(BalanceSource old, BalanceSource updated)
    {
        if (Items.Length > MaxPatched)
        {
            return null;
        }
        var wasLive = old.IsLive(ValidFrom);
        var live = updated.IsLive(ValidFrom);
        if (wasLive != live)
        {
            return null;
        }
        if (!live)
        {
            return this;
        }
        int lo = 0, hi = Items.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = SourceOrder.DeductionComparer.Compare(Items[mid].Source, updated);
            if (c == 0)
            {
                if (!ReferenceEquals(Items[mid].Source, old))
                {
                    return null;
                }
                var items = (Candidate[])Items.Clone();
                items[mid] = new Candidate(updated, 1m, true);
                return new LiveCandidates(items, ValidFrom, ValidUntil);
            }
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return null;
    }
}
