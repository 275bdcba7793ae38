using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// Working buffers of one engine call (candidate lists, a deduction's bookkeeping, a dry run's pending balances),
/// reused across calls on the same thread so that a check allocates only its answer. Nothing in them outlives the
/// call that rented them: <see cref="Return"/> clears them, so no state leaks from one request into the next.
/// Bounded: a few per thread, and one grown past <see cref="MaxKept"/> entries is dropped instead of kept.
/// </summary>
internal sealed class Scratch
{
    private const int MaxPooled = 4;
    private const int MaxKept = 1024;

    [ThreadStatic]
    private static Scratch?[]? t_pool;

    public List<Candidate> Candidates { get; } = [];
    public List<Candidate> Subset { get; } = [];
    public List<BalanceSource> Sources { get; } = [];
    public PendingBalances Pending { get; } = new();
    public Dictionary<string, (decimal Start, decimal Units)> Taken { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, (RolloverBucket Bucket, decimal Balance)> Rollovers { get; } = new(StringComparer.Ordinal);
    public List<SourceDelta> Deltas { get; } = [];
    public List<(RolloverBucket R, decimal Balance, Candidate C)> RolloverPool { get; } = [];

    public static Scratch Rent()
    {
        var pool = t_pool ??= new Scratch?[MaxPooled];
        for (var i = 0; i < pool.Length; i++)
        {
            if (pool[i] is { } s)
            {
                pool[i] = null;
                return s;
            }
        }
        return new Scratch();
    }

    public static void Return(Scratch s)
    {
        if (s.Candidates.Count > MaxKept || s.Subset.Count > MaxKept || s.Sources.Count > MaxKept || s.Taken.Count > MaxKept
            || s.Deltas.Count > MaxKept || s.Pending.Sources.Count > MaxKept || s.Pending.Rollovers.Count > MaxKept
            || s.Rollovers.Count > MaxKept || s.RolloverPool.Count > MaxKept)
        {
            return;
        }
        s.Candidates.Clear();
        s.Subset.Clear();
        s.Sources.Clear();
        s.Pending.Sources.Clear();
        s.Pending.Rollovers.Clear();
        s.ClearDeduction();
        var pool = t_pool ??= new Scratch?[MaxPooled];
        for (var i = 0; i < pool.Length; i++)
        {
            if (pool[i] is null)
            {
                pool[i] = s;
                return;
            }
        }
    }

    public void ClearDeduction()
    {
        Taken.Clear();
        Rollovers.Clear();
        Deltas.Clear();
        RolloverPool.Clear();
    }

    public static readonly IComparer<(RolloverBucket R, decimal Balance, Candidate C)> RolloverOrder = new ByExpiry();

    // Rollovers are drawn soonest expiry first, then oldest first.
    private sealed class ByExpiry : IComparer<(RolloverBucket R, decimal Balance, Candidate C)>
    {
        public int Compare((RolloverBucket R, decimal Balance, Candidate C) a, (RolloverBucket R, decimal Balance, Candidate C) b)
        {
            var r = (a.R.ExpiresAt ?? DateTimeOffset.MaxValue).CompareTo(b.R.ExpiresAt ?? DateTimeOffset.MaxValue);
            return r != 0 ? r : a.R.CreatedAt.CompareTo(b.R.CreatedAt);
        }
    }
}
