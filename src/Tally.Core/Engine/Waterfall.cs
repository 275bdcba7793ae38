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
    // Below this, a leftover is rounding residue from dividing by a credit cost, not a real shortfall.
    private const decimal Epsilon = 0.000000000000000001m;

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
        decimal amount, OverageBehavior behavior, DateTimeOffset now, bool dryRun = false)
    {
        var pending = new PendingBalances();
        var d = Plan(w, catalog, featureId, candidates, amount, behavior, now, pending);
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
        decimal amount, OverageBehavior behavior, DateTimeOffset now, PendingBalances pending)
    {
        // Per touched source: its balance before this feature and the units taken since, so that the written
        // balance is exactly the starting balance minus the (merged) ledger delta.
        var taken = new Dictionary<string, (decimal Start, decimal Units)>(StringComparer.Ordinal);
        var rollovers = new Dictionary<string, (RolloverBucket Bucket, decimal Balance)>(StringComparer.Ordinal);
        var deltas = new List<SourceDelta>();
        decimal Start(BalanceSource s) => pending.Sources.TryGetValue(s.Id, out var p) ? p : s.Balance;
        decimal Bal(BalanceSource s) => taken.TryGetValue(s.Id, out var t) ? t.Start - t.Units : Start(s);

        var left = amount;

        // What is left, in the unit of the last candidate drawn from. Dividing by a credit cost is inexact
        // (1/3), so the next candidate with the same cost continues from this exact figure instead of left × cost.
        decimal? restCost = null;
        decimal rest = 0;

        if (amount > 0)
        {
            if (candidates.Count > 0 && candidates[0].Source.Unlimited)
            {
                var u = candidates[0];
                Take(u, amount * u.Cost, amount * u.Cost, null);
            }
            else
            {
                DrawRollovers();
                foreach (var c in candidates)
                {
                    if (left <= 0) break;
                    var avail = Math.Max(0m, Bal(c.Source));
                    TakeUpTo(c, avail);
                }
                foreach (var c in candidates)
                {
                    if (left <= 0) break;
                    if (!MayGoNegative(c)) continue;
                    var floor = behavior is OverageBehavior.Overflow or OverageBehavior.Allow || c.Source.MaxPurchase is null
                        ? (decimal?)null
                        : -c.Source.MaxPurchase.Value;
                    var room = floor is { } f ? Math.Max(0m, Bal(c.Source) - f) : decimal.MaxValue;
                    TakeUpTo(c, room);
                }
            }
        }
        else if (amount < 0)
        {
            if (candidates.Count > 0 && candidates[0].Source.Unlimited)
            {
                var u = candidates[0];
                Take(u, amount * u.Cost, amount * u.Cost, null);
            }
            else
            {
                // Pass 1 pays overage back first, pass 2 refills up to the granted amount.
                foreach (var c in candidates)
                {
                    if (left >= 0) break;
                    var debt = Math.Max(0m, -Bal(c.Source));
                    GiveUpTo(c, debt);
                }
                foreach (var c in candidates)
                {
                    if (left >= 0) break;
                    var room = behavior is OverageBehavior.Overflow or OverageBehavior.Allow
                        ? decimal.MaxValue
                        : Math.Max(0m, c.Source.Granted - Bal(c.Source));
                    GiveUpTo(c, room);
                }
            }
        }

        if (Math.Abs(left) < Epsilon)
        {
            left = 0;
        }
        var d = new FeatureDeduction(featureId, amount, amount - left, left == 0, Merge(deltas));
        if (IsRejected(d, behavior))
        {
            return d with { Applied = 0, Deltas = [] };
        }

        foreach (var (id, t) in taken)
        {
            pending.Sources[id] = t.Start - t.Units;
        }
        foreach (var (id, r) in rollovers)
        {
            pending.Rollovers[id] = r;
        }
        return d;

        bool MayGoNegative(Candidate c) =>
            behavior is OverageBehavior.Overflow or OverageBehavior.Allow
            || c.Source.UsageAllowed
            || (behavior != OverageBehavior.Reject && c.Source.Price is null && catalog.Feature(c.Source.FeatureId)?.IsContinuous == true);

        decimal Want(Candidate c) => restCost == c.Cost ? rest : left * c.Cost;

        void DrawRollovers()
        {
            var pool = new List<(RolloverBucket R, decimal Balance, Candidate C)>();
            foreach (var c in candidates)
            {
                foreach (var r in w.RolloversOf(c.Source.Id))
                {
                    var bal = pending.Rollovers.TryGetValue(r.Id, out var p) ? p.Balance : r.Balance;
                    if ((r with { Balance = bal }).IsLive(now)) pool.Add((r, bal, c));
                }
            }
            pool.Sort((a, b) =>
            {
                var r = (a.R.ExpiresAt ?? DateTimeOffset.MaxValue).CompareTo(b.R.ExpiresAt ?? DateTimeOffset.MaxValue);
                return r != 0 ? r : a.R.CreatedAt.CompareTo(b.R.CreatedAt);
            });
            foreach (var (r, bal, c) in pool)
            {
                if (left <= 0) break;
                var want = Want(c);
                var take = Math.Min(want, bal);
                if (take <= 0) continue;
                rollovers[r.Id] = (r, bal - take);
                Consumed(c, want, take);
                deltas.Add(Delta(c.Source, take, r.Id));
            }
        }

        void TakeUpTo(Candidate c, decimal room)
        {
            var want = Want(c);
            var take = Math.Min(want, room);
            if (take <= 0) return;
            Take(c, want, take, null);
        }

        void GiveUpTo(Candidate c, decimal room)
        {
            var want = Want(c);
            var give = Math.Min(-want, room);
            if (give <= 0) return;
            Take(c, want, -give, null);
        }

        void Take(Candidate c, decimal want, decimal units, string? rolloverId)
        {
            var t = taken.TryGetValue(c.Source.Id, out var x) ? x : (Start: Start(c.Source), Units: 0m);
            taken[c.Source.Id] = (t.Start, t.Units + units);
            Consumed(c, want, units);
            deltas.Add(Delta(c.Source, units, rolloverId));
        }

        // Credit units taken from a source of cost c.Cost out of the wanted amount in that unit.
        void Consumed(Candidate c, decimal want, decimal units)
        {
            if (units == want)
            {
                left = 0;
                restCost = null;
                return;
            }
            restCost = c.Cost;
            rest = want - units;
            left = rest / c.Cost;
        }
    }

    // Pass 1 and pass 2 may both touch a source; the ledger keeps one delta per source (and rollover).
    private static List<SourceDelta> Merge(List<SourceDelta> deltas)
    {
        if (deltas.Count < 2) return deltas;
        var merged = new List<SourceDelta>(deltas.Count);
        foreach (var d in deltas)
        {
            var i = merged.FindIndex(m => m.SourceId == d.SourceId && m.RolloverId == d.RolloverId);
            if (i < 0) merged.Add(d);
            else merged[i] = merged[i] with { Value = merged[i].Value + d.Value };
        }
        return merged;
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
