using Tally.Core.Domain;

namespace Tally.Core.Engine;

public enum OverageBehavior
{
    /// <summary>Take what fits, drop the rest (the default).</summary>
    Cap,
    /// <summary>All or nothing.</summary>
    Reject,
    /// <summary>Every source may go below zero, with no floor; refunds have no ceiling.</summary>
    Overflow,
    /// <summary>balances.update: pass 2 has neither floor nor ceiling (set exact totals).</summary>
    Allow,
}

/// <summary>A source the waterfall may draw from, with its price in credits per tracked unit.</summary>
public readonly record struct Candidate(BalanceSource Source, decimal Cost, bool OwnFeature);

/// <summary>The outcome of running the waterfall for one tracked feature.</summary>
public sealed record FeatureDeduction(
    string FeatureId,
    decimal Requested,
    decimal Applied,
    bool Satisfied,
    IReadOnlyList<SourceDelta> Deltas);

/// <summary>
/// The deduction waterfall of autumn-api.md §5.3: rollovers first, then pass 1 down to zero, then pass 2
/// into overage for usage-allowed sources. Pure: it reads and writes a <see cref="Working"/> only.
/// </summary>
public static class Waterfall
{
    /// <summary>
    /// The sources that answer for <paramref name="featureId"/> on this subject, in deduction order:
    /// the feature's own sources and those of every credit system containing it.
    /// </summary>
    public static List<Candidate> Candidates(Working w, Catalog catalog, string featureId, string? entityId, DateTimeOffset now,
        IReadOnlySet<string>? onlySources = null)
    {
        var list = new List<Candidate>();
        Fill(w, catalog, featureId, entityId, now, list, onlySources);
        return list;
    }

    /// <summary>
    /// The candidates, read-only: for a customer-level request on a feature without credit systems that this unit has
    /// not written, the array cached on the customer's state; otherwise <paramref name="scratch"/>, filled.
    /// </summary>
    internal static IReadOnlyList<Candidate> Ordered(Working w, Catalog catalog, string featureId, string? entityId, DateTimeOffset now,
        List<Candidate> scratch)
    {
        if (entityId is null && catalog.CreditSystemsContaining(featureId).Count == 0 && !w.Touches(featureId)
            && w.OrderOf(featureId) is { } order && LiveCandidates.For(order, now) is { InOrder: true } live)
        {
            return live.Items;
        }
        Fill(w, catalog, featureId, entityId, now, scratch);
        return scratch;
    }

    /// <summary><see cref="Candidates"/> into a caller's (reused) list, which it clears first.</summary>
    internal static void Fill(Working w, Catalog catalog, string featureId, string? entityId, DateTimeOffset now,
        List<Candidate> into, IReadOnlySet<string>? onlySources = null)
    {
        into.Clear();
        var systems = catalog.CreditSystemsContaining(featureId);
        var comparer = entityId is null ? CustomerScope : EntityScope;
        if (!FillOrdered(w, systems, featureId, entityId, now, into, onlySources))
        {
            into.Clear();
            AddFrom(w, featureId, entityId, 1m, true, now, into, onlySources);
            for (var i = 0; i < systems.Count; i++)
            {
                AddFrom(w, systems[i].Id, entityId, systems[i].CreditCostOf(featureId) ?? 1m, false, now, into, onlySources);
            }
            into.Sort(comparer);
        }
        else if (systems.Count > 0)
        {
            // Each feature's run is already in order; only the runs of several features interleave.
            into.Sort(comparer);
        }

        // An unlimited source is an infinite sink: it goes first and finite siblings are never touched.
        for (var i = 1; i < into.Count; i++)
        {
            if (into[i].Source.Unlimited)
            {
                var u = into[i];
                into.RemoveAt(i);
                into.Insert(0, u);
                break;
            }
        }
    }

    // The fast path: every feature's sources walked in the order cached on the customer's state (no sort, no
    // per-request collection). False when this unit has re-keyed a source of one of the features.
    private static bool FillOrdered(Working w, IReadOnlyList<Feature> systems, string featureId, string? entityId, DateTimeOffset now,
        List<Candidate> into, IReadOnlySet<string>? only)
    {
        var shared = entityId is not null;
        if (w.OrderOf(featureId, shared) is not { } own)
        {
            return false;
        }
        for (var i = 0; i < systems.Count; i++)
        {
            if (w.OrderOf(systems[i].Id, shared) is null)
            {
                return false;
            }
        }
        if (entityId is not null)
        {
            // The entity's own few sources first (sorted here), then the customer-level ones it shares, in cached order.
            var scratch = Scratch.Rent();
            try
            {
                var mine = scratch.Sources;
                for (var i = -1; i < systems.Count; i++)
                {
                    mine.Clear();
                    w.AddEntitySources(i < 0 ? featureId : systems[i].Id, entityId, mine);
                    var cost = i < 0 ? 1m : systems[i].CreditCostOf(featureId) ?? 1m;
                    foreach (var s in mine)
                    {
                        if (s.IsLive(now) && (only is null || only.Contains(s.Id)))
                        {
                            into.Add(new Candidate(s, cost, i < 0));
                        }
                    }
                }
            }
            finally
            {
                Scratch.Return(scratch);
            }
            if (systems.Count == 0)
            {
                into.Sort(EntityScope);
            }
        }
        if (systems.Count == 0 && only is null && !w.Touches(featureId))
        {
            // The common case: one feature, nothing of it written yet in this unit; its live sources are cached.
            into.AddRange(LiveCandidates.For(own, now).Items);
            return true;
        }
        AddRun(w, own.Deduction, 0, own.Deduction.Length, 1m, true, now, into, only);
        for (var i = 0; i < systems.Count; i++)
        {
            var o = w.OrderOf(systems[i].Id, shared)!;
            AddRun(w, o.Deduction, 0, o.Deduction.Length, systems[i].CreditCostOf(featureId) ?? 1m, false, now, into, only);
        }
        return true;
    }

    private static void AddRun(Working w, BalanceSource[] ordered, int start, int end, decimal cost, bool own, DateTimeOffset now,
        List<Candidate> into, IReadOnlySet<string>? only)
    {
        for (var i = start; i < end; i++)
        {
            var s = w.Current(ordered[i]);
            if (s.IsLive(now) && (only is null || only.Contains(s.Id)))
            {
                into.Add(new Candidate(s, cost, own));
            }
        }
    }

    private static void AddFrom(Working w, string fid, string? entityId, decimal cost, bool own, DateTimeOffset now,
        List<Candidate> into, IReadOnlySet<string>? only)
    {
        if (entityId is null)
        {
            AddLive(w.SourcesOf(fid), cost, own, now, into, only);
        }
        else
        {
            AddLive(w.SourcesOf(fid, entityId), cost, own, now, into, only);
            AddLive(w.SourcesOf(fid, null), cost, own, now, into, only);
        }
    }

    private static void AddLive(IEnumerable<BalanceSource> sources, decimal cost, bool own, DateTimeOffset now, List<Candidate> into,
        IReadOnlySet<string>? only)
    {
        foreach (var s in sources)
        {
            if (s.IsLive(now) && (only is null || only.Contains(s.Id)))
            {
                into.Add(new Candidate(s, cost, own));
            }
        }
    }

    // A customer-level request sees every scope: its own sources first, then each entity's by entity id.
    private static readonly IComparer<Candidate> CustomerScope = new CandidateOrder(entityRequest: false);

    // An entity request sees its own sources, then the customer's shared ones.
    private static readonly IComparer<Candidate> EntityScope = new CandidateOrder(entityRequest: true);

    private sealed class CandidateOrder(bool entityRequest) : IComparer<Candidate>
    {
        public int Compare(Candidate a, Candidate b)
        {
            var x = a.Source;
            var y = b.Source;
            int r;
            if (entityRequest)
            {
                if ((r = (x.EntityId is null ? 1 : 0).CompareTo(y.EntityId is null ? 1 : 0)) != 0) return r;
            }
            else
            {
                if ((r = (x.EntityId is null ? 0 : 1).CompareTo(y.EntityId is null ? 0 : 1)) != 0) return r;
                if ((r = string.CompareOrdinal(x.EntityId ?? "", y.EntityId ?? "")) != 0) return r;
            }
            if ((r = b.OwnFeature.CompareTo(a.OwnFeature)) != 0) return r;
            return SourceOrder.CompareWithinScope(x, y);
        }
    }

    /// <summary>
    /// Draws <paramref name="amount"/> (tracked-feature units; negative refunds) from the candidates.
    /// Under <see cref="OverageBehavior.Reject"/> nothing is written unless the whole amount fits.
    /// </summary>
    public static FeatureDeduction Run(Working w, Catalog catalog, string featureId, IReadOnlyList<Candidate> candidates,
        decimal amount, OverageBehavior behavior, DateTimeOffset now, bool dryRun = false, Controls? controls = null)
    {
        var scratch = Scratch.Rent();
        try
        {
            var d = Plan(w, catalog, featureId, candidates, amount, behavior, now, scratch.Pending, controls);
            if (!dryRun)
            {
                scratch.Pending.WriteTo(w);
            }
            return d;
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    /// <summary>
    /// True when <paramref name="amount"/> fits whole (a reject-mode dry run, as check asks): the same deduction as
    /// <see cref="Run"/>, without building its outcome.
    /// </summary>
    internal static bool Fits(Working w, Catalog catalog, IReadOnlyList<Candidate> candidates, decimal amount, DateTimeOffset now,
        Controls? controls)
    {
        var scratch = Scratch.Rent();
        try
        {
            var deduction = new Deduction(w, catalog, OverageBehavior.Reject, now, scratch.Pending, amount, controls, scratch) { DryRun = true };
            if (amount > 0)
            {
                deduction.Draw(candidates);
            }
            else if (amount < 0)
            {
                deduction.Refund(candidates);
            }
            return deduction.Satisfied;
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    /// <summary>
    /// True when <paramref name="d"/> must fail the request: under reject, a deduction that did not fit.
    /// A refund is never rejected; what finds no room is dropped, as Autumn rejects only a positive remainder.
    /// </summary>
    public static bool IsRejected(FeatureDeduction d, OverageBehavior behavior) =>
        behavior == OverageBehavior.Reject && !d.Satisfied && d.Requested > 0;

    /// <summary>
    /// Decides one feature's deduction against the working state as amended by <paramref name="pending"/>,
    /// and records the new balances in <paramref name="pending"/> (unless rejected) instead of the working state,
    /// so that several features can be decided before any of them is written.
    /// </summary>
    internal static FeatureDeduction Plan(Working w, Catalog catalog, string featureId, IReadOnlyList<Candidate> candidates,
        decimal amount, OverageBehavior behavior, DateTimeOffset now, PendingBalances pending, Controls? controls = null)
    {
        var scratch = Scratch.Rent();
        try
        {
            var deduction = new Deduction(w, catalog, behavior, now, pending, amount, controls, scratch);
            if (amount > 0)
            {
                deduction.Draw(candidates);
            }
            else if (amount < 0)
            {
                deduction.Refund(candidates);
            }
            return deduction.Finish(featureId);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    public static SourceDelta Delta(BalanceSource s, decimal value, string? rolloverId) => new()
    {
        SourceId = s.Id,
        FeatureId = s.FeatureId,
        PlanId = s.PlanId,
        Interval = s.Interval,
        IntervalCount = s.IntervalCount,
        ResetsAt = s.NextResetAt,
        Value = value,
        RolloverId = rolloverId,
    };
}

/// <summary>Balances a request has decided but not yet written to the <see cref="Working"/>.</summary>
internal sealed class PendingBalances
{
    public Dictionary<string, decimal> Sources { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (RolloverBucket Bucket, decimal Balance)> Rollovers { get; } = new(StringComparer.Ordinal);

    /// <summary>A standalone grant this request has drained to exactly zero: later features of the request skip it.</summary>
    public bool Drained(BalanceSource s) =>
        s.IsStandalone && !s.Unlimited && Sources.TryGetValue(s.Id, out var b) && b == 0m;

    public void WriteTo(Working w)
    {
        foreach (var (id, bal) in Sources)
        {
            w.Put(w.Source(id)! with { Balance = bal });
        }
        foreach (var (bucket, bal) in Rollovers.Values)
        {
            w.Put(bucket with { Balance = bal });
        }
    }
}
