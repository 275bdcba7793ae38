namespace Tally.Core.Audit;

/// <summary>A stored balance as the audit reads it: the bucket, what it belongs to, and its balance.</summary>
public sealed record StoredBalance(string SourceId, string? RolloverId, string FeatureId, string? EntityId, decimal Balance);

/// <summary>A bucket whose stored balance is not what its ledger rows add up to.</summary>
public sealed record AuditDifference(string CustomerId, string FeatureId, string? EntityId, string SourceId, string? RolloverId,
    decimal Stored, decimal Ledger);

/// <summary>Compares one customer's stored balances with the balances recomputed from its ledger.</summary>
public static class BalanceAudit
{
    /// <summary>
    /// Every stored bucket whose balance differs from the ledger's. A bucket with no ledger rows at all counts as zero
    /// there, so a balance that appeared without a Grant row is reported. Ledger keys with no stored bucket are not:
    /// detaching a plan or deleting a balance removes the bucket and keeps its history.
    /// </summary>
    public static List<AuditDifference> Compare(string customerId, IEnumerable<StoredBalance> stored,
        IReadOnlyDictionary<LedgerKey, decimal> recomputed)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(recomputed);
        var differences = new List<AuditDifference>();
        foreach (var s in stored)
        {
            var ledger = recomputed.GetValueOrDefault(new LedgerKey(s.SourceId, s.RolloverId));
            if (ledger != s.Balance)
            {
                differences.Add(new AuditDifference(customerId, s.FeatureId, s.EntityId, s.SourceId, s.RolloverId, s.Balance, ledger));
            }
        }
        return differences;
    }
}
