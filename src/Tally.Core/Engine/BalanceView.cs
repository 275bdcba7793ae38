using Tally.Core.Domain;

namespace Tally.Core.Engine;

public sealed record RolloverView(decimal Granted, decimal Balance, DateTimeOffset? ExpiresAt);

/// <summary>The wire "balance": sums over a feature's live sources as seen by one subject.</summary>
public sealed record BalanceSummary(
    string FeatureId,
    decimal Granted,
    decimal Remaining,
    decimal Usage,
    bool Unlimited,
    bool OverageAllowed,
    decimal? MaxPurchase,
    DateTimeOffset? NextResetAt,
    IReadOnlyList<BreakdownItem> Breakdown,
    IReadOnlyList<RolloverView> Rollovers);

public sealed record FlagView(BalanceSource Source);

public static class BalanceView
{
    /// <summary>
    /// The sources a subject sees for one feature: an entity sees its own and the customer's shared ones;
    /// the customer sees everything, entities included. <paramref name="keep"/> keeps sources drained by
    /// the current request visible in that request's own response.
    /// </summary>
    public static IEnumerable<BalanceSource> Visible(Working w, string featureId, string? entityId, DateTimeOffset now,
        IReadOnlySet<string>? keep = null)
    {
        var all = entityId is null
            ? w.SourcesOf(featureId)
            : w.SourcesOf(featureId, entityId).Concat(w.SourcesOf(featureId, null));
        return all.Where(s => !s.IsExpired(now) && (!s.IsDrained || (keep?.Contains(s.Id) ?? false)));
    }

    /// <summary>
    /// The flag a subject sees for a boolean feature. A flag has no balance, so a standalone flag never counts as
    /// drained (Autumn's looseEntitlementIsLiveSql keeps boolean grants).
    /// </summary>
    public static BalanceSource? Flag(Working w, string featureId, string? entityId, DateTimeOffset now)
    {
        var scratch = Scratch.Rent();
        try
        {
            var sources = scratch.Sources;
            Collect(w, featureId, entityId, sources);
            BalanceSource? first = null;
            foreach (var s in sources)
            {
                if (!s.IsExpired(now) && (first is null || s.Seq < first.Seq))
                {
                    first = s;
                }
            }
            return first;
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    public static BalanceSummary? For(Working w, Catalog catalog, string featureId, string? entityId, DateTimeOffset now,
        IReadOnlySet<string>? keep = null)
    {
        var feature = catalog.Feature(featureId);
        if (feature is null || feature.Type == FeatureType.Boolean)
        {
            return null;
        }
        // The customer's own view of a feature is cached with its order (rollovers join the sums per source: not then).
        if (entityId is null && !w.MayHaveRollovers && w.OrderOf(featureId) is { } order
            && CustomerSummary.For(order, featureId, now).TryWith(w, featureId, keep, now, out var summary))
        {
            return summary;
        }
        var scratch = Scratch.Rent();
        try
        {
            var sources = scratch.Sources;
            Collect(w, featureId, entityId, sources);
            var shown = 0;
            for (var i = 0; i < sources.Count; i++)
            {
                var s = sources[i];
                if (!s.IsExpired(now) && (!s.IsDrained || (keep?.Contains(s.Id) ?? false)))
                {
                    sources[shown++] = s;
                }
            }
            sources.RemoveRange(shown, sources.Count - shown);
            return sources.Count == 0 ? null : Summarize(w, featureId, sources, now);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    /// <summary>
    /// Every source of a feature the subject sees, live or not, as this unit sees it: the customer's shared ones first,
    /// then (for the customer) each entity's by entity id, each scope by creation order.
    /// </summary>
    private static void Collect(Working w, string featureId, string? entityId, List<BalanceSource> into)
    {
        if (w.OrderOf(featureId, sharedOnly: entityId is not null) is not { } order)
        {
            into.AddRange(entityId is null ? w.SourcesOf(featureId) : w.SourcesOf(featureId, entityId).Concat(w.SourcesOf(featureId, null)));
            into.Sort(SourceOrder.ViewComparer);
            return;
        }
        foreach (var s in order.View)
        {
            into.Add(w.Current(s));
        }
        if (entityId is not null)
        {
            // Shared sources first, then the entity's own few in creation order.
            var shared = into.Count;
            w.AddEntitySources(featureId, entityId, into);
            into.Sort(shared, into.Count - shared, SourceOrder.ViewComparer);
        }
    }

    public static BalanceSummary Summarize(Working w, string featureId, IReadOnlyList<BalanceSource> sources, DateTimeOffset now)
    {
        var breakdown = new List<BreakdownItem>(sources.Count);
        List<RolloverView>? rollovers = null;
        var mayHaveRollovers = w.MayHaveRollovers;
        decimal granted = 0, remaining = 0, usage = 0;
        bool unlimited = false, overage = false, uncapped = false;
        decimal maxPurchase = 0;
        DateTimeOffset? next = null;
        foreach (var s in sources)
        {
            var item = Item(s);
            var itemRemaining = item.Remaining;
            breakdown.Add(item);
            granted += s.Granted;
            remaining += itemRemaining;
            usage += s.Usage;
            unlimited |= s.Unlimited;
            if (s.UsageAllowed)
            {
                overage = true;
                if (s.MaxPurchase is { } m) maxPurchase += m;
                else uncapped = true;
            }
            if (s.NextResetAt is { } n && (next is null || n < next))
            {
                next = n;
            }
            if (!mayHaveRollovers) continue;
            foreach (var r in w.RolloversOf(s.Id))
            {
                if (r.ExpiresAt is { } e && e <= now) continue;
                (rollovers ??= []).Add(new RolloverView(r.Granted, r.Balance, r.ExpiresAt));
                granted += r.Granted;
                remaining += r.Balance;
                usage += r.Granted - r.Balance;
            }
        }
        if (unlimited)
        {
            return new BalanceSummary(featureId, 0, 0, usage, true, false, null, null, breakdown, rollovers ?? []);
        }
        return new BalanceSummary(featureId, granted, remaining, usage, false, overage,
            overage && !uncapped ? maxPurchase : null, next, breakdown, rollovers ?? (IReadOnlyList<RolloverView>)[]);
    }

    /// <summary>
    /// One source's entry in a balance's breakdown; <paramref name="shared"/> when it is kept on the customer's state and
    /// read by many requests (see <see cref="BreakdownItem.Shared"/>).
    /// </summary>
    internal static BreakdownItem Item(BalanceSource s, bool shared = false) =>
        new(s, s.IncludedGrant + s.Adjustment, s.PrepaidGrant, s.Unlimited ? 0 : Math.Max(0m, s.Balance), s.Usage) { Shared = shared };

    /// <summary>
    /// <see cref="Summarize(Working, string, IReadOnlyList{BalanceSource}, DateTimeOffset)"/> for sources without rollover
    /// buckets, from their breakdown entries: the same sums, added in the same order.
    /// </summary>
    internal static BalanceSummary Summarize(string featureId, BreakdownItem[] items)
    {
        decimal granted = 0, remaining = 0, usage = 0;
        bool unlimited = false, overage = false, uncapped = false;
        decimal maxPurchase = 0;
        DateTimeOffset? next = null;
        foreach (var item in items)
        {
            var s = item.Source;
            granted += s.Granted;
            remaining += item.Remaining;
            usage += s.Usage;
            unlimited |= s.Unlimited;
            if (s.UsageAllowed)
            {
                overage = true;
                if (s.MaxPurchase is { } m) maxPurchase += m;
                else uncapped = true;
            }
            if (s.NextResetAt is { } n && (next is null || n < next))
            {
                next = n;
            }
        }
        if (unlimited)
        {
            return new BalanceSummary(featureId, 0, 0, usage, true, false, null, null, items, []);
        }
        return new BalanceSummary(featureId, granted, remaining, usage, false, overage,
            overage && !uncapped ? maxPurchase : null, next, items, []);
    }

    /// <summary>Boolean features the subject has, as flags.</summary>
    public static IEnumerable<BalanceSource> Flags(Working w, Catalog catalog, string? entityId, DateTimeOffset now)
    {
        foreach (var f in catalog.Features)
        {
            if (f.Type != FeatureType.Boolean) continue;
            if (Flag(w, f.Id, entityId, now) is { } s) yield return s;
        }
    }

    /// <summary>Every non-boolean feature the subject has a live source of.</summary>
    public static IEnumerable<BalanceSummary> All(Working w, Catalog catalog, string? entityId, DateTimeOffset now)
    {
        foreach (var f in catalog.Features.OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal))
        {
            if (f.Type == FeatureType.Boolean) continue;
            if (For(w, catalog, f.Id, entityId, now) is { } b) yield return b;
        }
    }
}
