using Tally.Core.Audit;
using Tally.Core.Domain;

namespace Tally.Core.Storage;

/// <summary>One customer as the audit sees it: its stored balances and the balances its ledger adds up to.</summary>
public sealed record AuditCustomer(string CustomerId, long Seq, IReadOnlyList<StoredBalance> Balances,
    IReadOnlyDictionary<LedgerKey, decimal> Ledger);

/// <summary>
/// Read-only access for <c>admin.audit</c>, kept apart from <see cref="ITallyStore"/> so the hot path's interface does
/// not grow. Both stores implement it.
/// </summary>
public interface IAuditStore
{
    /// <summary>
    /// Up to <paramref name="limit"/> customers of the tenant after creation number <paramref name="afterSeq"/>, in
    /// creation order (a keyset, so memory stays constant however many customers there are), or only
    /// <paramref name="customerId"/> when given. Each customer's balances and ledger are read in one snapshot, so a
    /// write landing meanwhile cannot show up as a difference. The ledger is folded while it is read.
    /// </summary>
    Task<IReadOnlyList<AuditCustomer>> ReadAuditBatchAsync(TenantId tenant, long afterSeq, int limit, string? customerId, CancellationToken ct);
}
