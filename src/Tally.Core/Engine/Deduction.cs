using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// One feature's deduction in progress (<see cref="Waterfall.Plan"/>): what is still to draw, what each touched
/// source and rollover gave, and the ledger deltas. Reads the working state as amended by the request's pending
/// balances and writes nothing until <see cref="Finish"/> accepts it. A ref struct: it lives on the stack of the
/// one call that runs it, and its bookkeeping lives in the caller's rented <see cref="Scratch"/>, so the hot path
/// allocates only the outcome it returns.
/// </summary>
internal ref struct Deduction(Working w, Catalog catalog, OverageBehavior behavior, DateTimeOffset now, PendingBalances pending,
    decimal requested, Controls? controls, Scratch scratch)
{
    // Below this, a leftover is rounding residue from dividing by a credit cost, not a real shortfall.
    private const decimal Epsilon = 0.000000000000000001m;

    // Per touched source: its balance before this feature and the units taken since, so that the written
    // balance is exactly the starting balance minus the (merged) ledger delta.
    private readonly Dictionary<string, (decimal Start, decimal Units)> _taken = scratch.Taken;
    private readonly Dictionary<string, (RolloverBucket Bucket, decimal Balance)> _rollovers = scratch.Rollovers;
    private readonly List<SourceDelta> _deltas = scratch.Deltas;

    private readonly decimal _amount = requested;
    private decimal _left = requested;

    // What is left, in the unit of the last candidate drawn from. Dividing by a credit cost is inexact
    // (1/3), so the next candidate with the same cost continues from this exact figure instead of left × cost.
    private decimal? _restCost;
    private decimal _rest;

    /// <summary>Set for a dry run that only asks <see cref="Satisfied"/>: no ledger deltas are built.</summary>
    public bool DryRun { get; init; }

    private bool Unbounded => behavior is OverageBehavior.Overflow or OverageBehavior.Allow;

    /// <summary>A positive amount: rollovers first, pass 1 down to zero, pass 2 into overage where allowed.</summary>
    public void Draw(IReadOnlyList<Candidate> candidates)
    {
        if (candidates.Count > 0 && candidates[0].Source.Unlimited)
        {
            TakeAll(candidates[0]);
            return;
        }
        DrawRollovers(candidates);
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (_left <= 0) break;
            TakeUpTo(c, Math.Max(0m, Balance(c.Source)));
        }
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (_left <= 0) break;
            if (!MayGoNegative(c)) continue;
            var floor = Unbounded || c.Source.MaxPurchase is null ? (decimal?)null : -c.Source.MaxPurchase.Value;
            var room = floor is { } f ? Math.Max(0m, Balance(c.Source) - f) : decimal.MaxValue;
            if (controls is not null && SpendRoom(c.Source.FeatureId, candidates) is { } spend)
            {
                room = Math.Min(room, spend);
            }
            TakeUpTo(c, room);
        }
    }

    /// <summary>A negative amount: pass 1 pays overage back first, pass 2 refills up to the granted amount.</summary>
    public void Refund(IReadOnlyList<Candidate> candidates)
    {
        if (candidates.Count > 0 && candidates[0].Source.Unlimited)
        {
            TakeAll(candidates[0]);
            return;
        }
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (_left >= 0) break;
            GiveUpTo(c, Math.Max(0m, -Balance(c.Source)));
        }
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (_left >= 0) break;
            GiveUpTo(c, Unbounded ? decimal.MaxValue : Math.Max(0m, c.Source.Granted - Balance(c.Source)));
        }
    }

    /// <summary>True when the whole amount was placed (what a dry run asks); records nothing.</summary>
    public readonly bool Satisfied => Math.Abs(_left) < Epsilon;

    /// <summary>The outcome; unless rejected, its balances are recorded in the pending balances.</summary>
    public FeatureDeduction Finish(string featureId)
    {
        if (Math.Abs(_left) < Epsilon)
        {
            _left = 0;
        }
        var d = new FeatureDeduction(featureId, _amount, _amount - _left, _left == 0, Merge(_deltas));
        if (Waterfall.IsRejected(d, behavior))
        {
            return d with { Applied = 0, Deltas = [] };
        }
        foreach (var (id, t) in _taken)
        {
            pending.Sources[id] = t.Start - t.Units;
        }
        foreach (var (id, r) in _rollovers)
        {
            pending.Rollovers[id] = r;
        }
        return d;
    }

    private decimal Start(BalanceSource s) => pending.Sources.TryGetValue(s.Id, out var p) ? p : s.Balance;

    private decimal Balance(BalanceSource s) => _taken.TryGetValue(s.Id, out var t) ? t.Start - t.Units : Start(s);

    private bool MayGoNegative(Candidate c) =>
        Unbounded
        || (controls?.OverageAllowed(c.Source.FeatureId) is { } forced ? forced : MayGoNegativeByPrice(c));

    private bool MayGoNegativeByPrice(Candidate c) =>
        c.Source.UsageAllowed
        || (behavior != OverageBehavior.Reject && c.Source.Price is null && catalog.Feature(c.Source.FeatureId)?.IsContinuous == true);

    // The overage an enabled spend limit still allows a feature, from the balances as they stand mid-deduction:
    // what pass 2 has already taken counts, so several sources of one feature share one cap.
    private decimal? SpendRoom(string featureId, IReadOnlyList<Candidate> candidates)
    {
        decimal overage = 0, granted = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var s = candidates[i].Source;
            if (s.FeatureId != featureId) continue;
            overage += Math.Max(0m, -Balance(s));
            granted += s.Granted;
        }
        return controls!.SpendRoom(featureId, overage, granted);
    }

    private decimal Want(Candidate c) => _restCost == c.Cost ? _rest : _left * c.Cost;

    // An unlimited source is an infinite sink (or source, for a refund): it takes the whole amount.
    private void TakeAll(Candidate u) => Take(u, _amount * u.Cost, _amount * u.Cost, null);

    private void DrawRollovers(IReadOnlyList<Candidate> candidates)
    {
        if (!w.MayHaveRollovers)
        {
            return;
        }
        var pool = scratch.RolloverPool;
        pool.Clear();
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            foreach (var r in w.RolloversOf(c.Source.Id))
            {
                var bal = pending.Rollovers.TryGetValue(r.Id, out var p) ? p.Balance : r.Balance;
                if ((r with { Balance = bal }).IsLive(now)) pool.Add((r, bal, c));
            }
        }
        pool.Sort(Scratch.RolloverOrder);
        foreach (var (r, bal, c) in pool)
        {
            if (_left <= 0) break;
            var want = Want(c);
            var take = Math.Min(want, bal);
            if (take <= 0) continue;
            _rollovers[r.Id] = (r, bal - take);
            Consumed(c, want, take);
            if (!DryRun) _deltas.Add(Waterfall.Delta(c.Source, take, r.Id));
        }
    }

    private void TakeUpTo(Candidate c, decimal room)
    {
        var want = Want(c);
        var take = Math.Min(want, room);
        if (take <= 0) return;
        Take(c, want, take, null);
    }

    private void GiveUpTo(Candidate c, decimal room)
    {
        var want = Want(c);
        var give = Math.Min(-want, room);
        if (give <= 0) return;
        Take(c, want, -give, null);
    }

    private void Take(Candidate c, decimal want, decimal units, string? rolloverId)
    {
        var t = _taken.TryGetValue(c.Source.Id, out var x) ? x : (Start: Start(c.Source), Units: 0m);
        _taken[c.Source.Id] = (t.Start, t.Units + units);
        Consumed(c, want, units);
        if (!DryRun) _deltas.Add(Waterfall.Delta(c.Source, units, rolloverId));
    }

    // Credit units taken from a source of cost c.Cost out of the wanted amount in that unit.
    private void Consumed(Candidate c, decimal want, decimal units)
    {
        if (units == want)
        {
            _left = 0;
            _restCost = null;
            return;
        }
        _restCost = c.Cost;
        _rest = want - units;
        _left = _rest / c.Cost;
    }

    // Pass 1 and pass 2 may both touch a source; the ledger keeps one delta per source (and rollover). Always a new
    // list: the deltas gathered here live in the reused scratch.
    private static List<SourceDelta> Merge(List<SourceDelta> deltas)
    {
        var merged = new List<SourceDelta>(deltas.Count);
        foreach (var d in deltas)
        {
            var i = IndexOf(merged, d);
            if (i < 0) merged.Add(d);
            else merged[i] = merged[i] with { Value = merged[i].Value + d.Value };
        }
        return merged;
    }

    private static int IndexOf(List<SourceDelta> merged, SourceDelta d)
    {
        for (var i = 0; i < merged.Count; i++)
        {
            if (merged[i].SourceId == d.SourceId && merged[i].RolloverId == d.RolloverId) return i;
        }
        return -1;
    }
}
