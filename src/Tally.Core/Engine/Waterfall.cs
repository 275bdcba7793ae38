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
public sealed record Candidate(BalanceSource Source, decimal Cost, bool OwnFeature);

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
        var list = new List<(Candidate C, int Scope, string ScopeKey)>();
        void AddFrom(string fid, decimal cost, bool own)
        {
            if (entityId is null)
            {
                foreach (var s in w.SourcesOf(fid))
                {
                    list.Add((new Candidate(s, cost, own), s.EntityId is null ? 0 : 1, s.EntityId ?? ""));
                }
            }
            else
            {
                foreach (var s in w.SourcesOf(fid, entityId))
                {
                    list.Add((new Candidate(s, cost, own), 0, ""));
                }
                foreach (var s in w.SourcesOf(fid, null))
                {
                    list.Add((new Candidate(s, cost, own), 1, ""));
                }
            }
        }

        AddFrom(featureId, 1m, true);
        foreach (var cs in catalog.CreditSystemsContaining(featureId))
        {
            AddFrom(cs.Id, cs.CreditCostOf(featureId) ?? 1m, false);
        }

        list.RemoveAll(x => !x.C.Source.IsLive(now) || (onlySources is not null && !onlySources.Contains(x.C.Source.Id)));
        list.Sort((a, b) => Compare(a, b));
        var ordered = list.Select(x => x.C).ToList();

        // An unlimited source is an infinite sink: it goes first and finite siblings are never touched.
        var unlimited = ordered.FindIndex(c => c.Source.Unlimited);
        if (unlimited > 0)
        {
            var u = ordered[unlimited];
            ordered.RemoveAt(unlimited);
            ordered.Insert(0, u);
        }
        return ordered;
    }

    private static int Compare((Candidate C, int Scope, string ScopeKey) a, (Candidate C, int Scope, string ScopeKey) b)
    {
        int r;
        if ((r = a.Scope.CompareTo(b.Scope)) != 0) return r;
        if ((r = string.CompareOrdinal(a.ScopeKey, b.ScopeKey)) != 0) return r;
        var x = a.C.Source;
        var y = b.C.Source;
        if ((r = b.C.OwnFeature.CompareTo(a.C.OwnFeature)) != 0) return r;
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

    /// <summary>
    /// Draws <paramref name="amount"/> (tracked-feature units; negative refunds) from the candidates.
    /// Under <see cref="OverageBehavior.Reject"/> nothing is written unless the whole amount fits.
    /// </summary>
    public static FeatureDeduction Run(Working w, Catalog catalog, string featureId, IReadOnlyList<Candidate> candidates,
        decimal amount, OverageBehavior behavior, DateTimeOffset now, bool dryRun = false, Controls? controls = null)
    {
        var pending = new PendingBalances();
        var d = Plan(w, catalog, featureId, candidates, amount, behavior, now, pending, controls);
        if (!dryRun)
        {
            pending.WriteTo(w);
        }
        return d;
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
        var deduction = new Deduction(w, catalog, behavior, now, pending, amount, controls);
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
