using Tally.Core.Domain;

namespace Tally.Core.Audit;

/// <summary>A balance the ledger speaks for: a source, or one rollover bucket of it.</summary>
public readonly record struct LedgerKey(string SourceId, string? RolloverId);

/// <summary>
/// Balances recomputed from the ledger alone. Every bucket comes into being through a Grant row whose delta is its
/// negated starting balance, and every later change is a delta of some row, so a bucket's balance is minus the sum of
/// its deltas. Folding in ledger order subtracts in the same order the engine did, so the result is exact, not
/// merely close.
/// </summary>
public static class Ledger
{
    /// <summary>Minus the sum of the deltas per source and rollover, in the order given (ledger order).</summary>
    public static Dictionary<LedgerKey, decimal> Recompute(IEnumerable<SourceDelta> deltas)
    {
        var balances = new Dictionary<LedgerKey, decimal>();
        Fold(balances, deltas);
        return balances;
    }

    /// <summary>Adds more deltas (the next ledger rows) to balances recomputed so far.</summary>
    public static void Fold(Dictionary<LedgerKey, decimal> balances, IEnumerable<SourceDelta> deltas)
    {
        ArgumentNullException.ThrowIfNull(balances);
        ArgumentNullException.ThrowIfNull(deltas);
        foreach (var d in deltas)
        {
            var key = new LedgerKey(d.SourceId, d.RolloverId);
            balances[key] = balances.GetValueOrDefault(key) - d.Value;
        }
    }
}
