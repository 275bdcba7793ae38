using System.Data;
using Npgsql;
using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore : IAuditStore
{
    /// <summary>The rollup sums are numeric, added exactly: any difference at all is one.</summary>
    public decimal RollupSumTolerance => 0m;

    public async Task<IReadOnlyList<AuditCustomer>> ReadAuditBatchAsync(TenantId tenant, long afterSeq, int limit, string? customerId,
        CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        // Repeatable read: the three reads below see one snapshot, so a write landing meanwhile is no difference.
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var customers = await ReadCustomerPageAsync(c, tx, tenant, afterSeq, limit, customerId, ct).ConfigureAwait(false);
        if (customers.Count == 0)
        {
            return [];
        }

        // One query per table for the whole batch (one round trip each, not one per customer).
        var ids = customers.Select(x => x.Id).ToList();
        var balances = ids.ToDictionary(id => id, _ => new List<StoredBalance>(), StringComparer.Ordinal);
        var featureOf = new Dictionary<(string, string), (string Feature, string? Entity)>();
        await using (var cmd = Batch(c, tx, tenant, ids, "SELECT customer_id, source_id, feature_id, entity_id, balance FROM balance_sources"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var b = new StoredBalance(r.GetString(1), null, r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetDecimal(4));
                featureOf[(r.GetString(0), b.SourceId)] = (b.FeatureId, b.EntityId);
                balances[r.GetString(0)].Add(b);
            }
        }
        await using (var cmd = Batch(c, tx, tenant, ids, "SELECT customer_id, data::text FROM rollovers"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var bucket = RowCodec.Read<RolloverBucket>(r.GetString(1));
                var (feature, entity) = featureOf.GetValueOrDefault((r.GetString(0), bucket.SourceId), ("", null));
                balances[r.GetString(0)].Add(new StoredBalance(bucket.SourceId, bucket.Id, feature, entity, bucket.Balance));
            }
        }
        var ledgers = ids.ToDictionary(id => id, _ => new Dictionary<LedgerKey, decimal>(), StringComparer.Ordinal);
        var ledgerRollups = ids.ToDictionary(id => id, _ => new Dictionary<RollupKey, RollupTotals>(), StringComparer.Ordinal);
        await using (var cmd = Batch(c, tx, tenant, ids, "SELECT customer_id, deltas::text, kind, event_name, timestamp, entity_id, value FROM events",
            " ORDER BY customer_id, seq"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                Ledger.Fold(ledgers[r.GetString(0)], RowCodec.Read<List<SourceDelta>>(r.GetString(1)));
                RollupAudit.Fold(ledgerRollups[r.GetString(0)], r.GetString(2), r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5),
                    r.GetDecimal(6));
            }
        }
        var rollups = ids.ToDictionary(id => id, _ => new Dictionary<RollupKey, RollupTotals>(), StringComparer.Ordinal);
        await using (var cmd = Batch(c, tx, tenant, ids, "SELECT customer_id, feature_id, hour, entity_id, count, sum FROM usage_hourly"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                rollups[r.GetString(0)][new RollupKey(r.GetString(1), r.GetInt64(2), r.GetString(3))] = new RollupTotals(r.GetInt64(4), r.GetDecimal(5));
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return customers.Select(x => new AuditCustomer(x.Id, x.Seq, balances[x.Id], ledgers[x.Id])
        {
            Rollup = rollups[x.Id],
            LedgerRollup = ledgerRollups[x.Id],
        }).ToList();
    }

    private static NpgsqlCommand Batch(NpgsqlConnection c, NpgsqlTransaction tx, TenantId tenant, List<string> ids, string select, string order = "")
    {
        var cmd = new NpgsqlCommand(select + " WHERE org_id = $1 AND env = $2 AND customer_id = ANY($3)" + order, c, tx);
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.TextArray(ids));
        return cmd;
    }

    /// <summary>
    /// One page of the tenant's customers in creation order after <paramref name="afterSeq"/> (or the one named), read in
    /// the caller's snapshot: the page both admin reads (audit and usage export) walk.
    /// </summary>
    private static async Task<List<(string Id, long Seq)>> ReadCustomerPageAsync(NpgsqlConnection c, NpgsqlTransaction tx, TenantId tenant,
        long afterSeq, int limit, string? customerId, CancellationToken ct)
    {
        var customers = new List<(string Id, long Seq)>();
        await using (var list = new NpgsqlCommand(customerId is null
            ? "SELECT customer_id, seq FROM customers WHERE org_id = $1 AND env = $2 AND seq > $3 ORDER BY seq LIMIT $4"
            : "SELECT customer_id, seq FROM customers WHERE org_id = $1 AND env = $2 AND customer_id = $5 AND $3 >= 0 AND $4 > 0", c, tx))
        {
            list.Parameters.Add(P.Org(tenant));
            list.Parameters.Add(P.Env(tenant));
            list.Parameters.Add(P.Long(afterSeq));
            list.Parameters.Add(P.Int(limit));
            if (customerId is not null)
            {
                list.Parameters.Add(P.Text(customerId));
            }
            await using var r = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                customers.Add((r.GetString(0), r.GetInt64(1)));
            }
        }
        return customers;
    }
}
