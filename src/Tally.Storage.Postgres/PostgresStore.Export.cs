using System.Data;
using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore : IUsageExportStore
{
    /// <summary>The ledger kinds that count as usage, as SQL literals (enum names, never user text).</summary>
    private static readonly string UsageKinds = string.Join(", ", Enum.GetValues<LedgerKind>().Where(UsageExport.IsUsage).Select(k => $"'{k}'"));

    public async Task<IReadOnlyList<UsageCustomer>> ReadUsageBatchAsync(TenantId tenant, long afterSeq, int limit, string? customerId,
        DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var customers = await ReadCustomerPageAsync(c, tx, tenant, afterSeq, limit, customerId, ct).ConfigureAwait(false);
        if (customers.Count == 0)
        {
            return [];
        }
        var ids = customers.Select(x => x.Id).ToList();
        var grants = ids.ToDictionary(id => id, _ => new List<GrantWindow>(), StringComparer.Ordinal);
        await using (var cmd = Batch(c, tx, tenant, ids, "SELECT customer_id, data::text FROM balance_sources"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var s = RowCodec.Read<BalanceSource>(r.GetString(1));
                grants[r.GetString(0)].Add(new GrantWindow(s.FeatureId, s.IncludedGrant + s.PrepaidGrant, s.Unlimited, s.CreatedAt, s.ExpiresAt));
            }
        }
        var usage = ids.ToDictionary(id => id, _ => new Dictionary<(DateTimeOffset, string), decimal>(), StringComparer.Ordinal);
        await using (var cmd = Batch(c, tx, tenant, ids, "SELECT customer_id, timestamp, deltas::text FROM events",
            " AND kind IN (" + UsageKinds + ") AND timestamp >= $4 AND timestamp < $5"))
        {
            cmd.Parameters.Add(P.Long(RowCodec.Ms(from)));
            cmd.Parameters.Add(P.Long(RowCodec.Ms(to)));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                UsageExport.Fold(usage[r.GetString(0)], RowCodec.FromMs(r.GetInt64(1)), RowCodec.Read<List<SourceDelta>>(r.GetString(2)));
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return customers.Select(x => new UsageCustomer(x.Id, x.Seq, grants[x.Id], usage[x.Id])).ToList();
    }
}
