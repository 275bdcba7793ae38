using Tally.Core.Audit;
using Tally.Core.Domain;

namespace Tally.Core.Storage;

/// <summary>
/// One customer as the audit sees it: its stored balances and the balances its ledger adds up to, and its rows of the
/// hourly usage rollup as stored and as its ledger adds them up.
/// </summary>
public sealed record AuditCustomer(string CustomerId, long Seq, IReadOnlyList<StoredBalance> Balances,
    IReadOnlyDictionary<LedgerKey, decimal> Ledger)
{
    public required IReadOnlyDictionary<RollupKey, RollupTotals> Rollup { get; init; }

    public required IReadOnlyDictionary<RollupKey, RollupTotals> LedgerRollup { get; init; }
}

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

    /// <summary>
    /// How far a stored rollup sum may be from the exact ledger sum by rounding alone, relative to the sum: 0 for a
    /// store that sums exactly, more for one that sums in floating point.
    /// </summary>
    decimal RollupSumTolerance { get; }
}

/// <summary>One customer as the usage export sees it: its grants and its usage per (month, feature) in the range.</summary>
public sealed record UsageCustomer(string CustomerId, long Seq, IReadOnlyList<GrantWindow> Grants,
    IReadOnlyDictionary<(DateTimeOffset Month, string FeatureId), decimal> Usage);

/// <summary>Read-only access for <c>admin.export_usage</c>; both stores implement it.</summary>
public interface IUsageExportStore
{
    /// <summary>
    /// Up to <paramref name="limit"/> customers after creation number <paramref name="afterSeq"/> (or only
    /// <paramref name="customerId"/>), each with its grants and its usage rows with timestamps in
    /// [<paramref name="from"/>, <paramref name="to"/>) folded per calendar month and feature while they are read.
    /// </summary>
    Task<IReadOnlyList<UsageCustomer>> ReadUsageBatchAsync(TenantId tenant, long afterSeq, int limit, string? customerId,
        DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
}
