using Microsoft.Data.Sqlite;
using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore : IAuditStore
{
    /// <summary>
    /// The rollup sums are REAL and added one track at a time (the migration that built them summed differently), so
    /// they may be off the exact ledger sum by accumulated rounding: far below a billionth of the sum.
    /// </summary>
    public decimal RollupSumTolerance => 0.000_000_001m;

    public async Task<IReadOnlyList<AuditCustomer>> ReadAuditBatchAsync(TenantId tenant, long afterSeq, int limit, string? customerId,
        CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        // One read transaction: in WAL mode every statement below sees the same committed state.
        using var tx = c.BeginTransaction(deferred: true);
        var customers = await ReadCustomerPageAsync(c, tx, tenant, afterSeq, limit, customerId, ct).ConfigureAwait(false);

        // Prepared once per batch and rebound per customer: each lookup is an index seek on (org, env, customer, …).
        using var sources = Tenant(c, "SELECT source_id, feature_id, entity_id, balance FROM balance_sources WHERE org_id = $o AND env = $e AND customer_id = $c", tenant);
        using var rollovers = Tenant(c, "SELECT data FROM rollovers WHERE org_id = $o AND env = $e AND customer_id = $c", tenant);
        using var events = Tenant(c,
            "SELECT deltas, kind, event_name, timestamp, entity_id, value FROM events WHERE org_id = $o AND env = $e AND customer_id = $c ORDER BY seq", tenant);
        using var rollup = Tenant(c, "SELECT feature_id, hour, entity_id, count, sum FROM usage_hourly WHERE org_id = $o AND env = $e AND customer_id = $c", tenant);
        var cust = new[] { sources, rollovers, events, rollup }.Select(cmd =>
        {
            cmd.Transaction = tx;
            return cmd.Parameters.Add("$c", SqliteType.Text);
        }).ToArray();

        var batch = new List<AuditCustomer>(customers.Count);
        foreach (var (id, seq) in customers)
        {
            foreach (var p in cust)
            {
                p.Value = id;
            }
            var balances = new List<StoredBalance>();
            var featureOf = new Dictionary<string, (string Feature, string? Entity)>(StringComparer.Ordinal);
            using (var r = await sources.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var b = new StoredBalance(r.GetString(0), null, r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), RowCodec.Dec(r.GetString(3)));
                    featureOf[b.SourceId] = (b.FeatureId, b.EntityId);
                    balances.Add(b);
                }
            }
            using (var r = await rollovers.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    var bucket = RowCodec.Read<RolloverBucket>(r.GetString(0));
                    var (feature, entity) = featureOf.GetValueOrDefault(bucket.SourceId, ("", null));
                    balances.Add(new StoredBalance(bucket.SourceId, bucket.Id, feature, entity, bucket.Balance));
                }
            }
            var ledger = new Dictionary<LedgerKey, decimal>();
            var ledgerRollup = new Dictionary<RollupKey, RollupTotals>();
            using (var r = await events.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    Ledger.Fold(ledger, RowCodec.Read<List<SourceDelta>>(r.GetString(0)));
                    RollupAudit.Fold(ledgerRollup, r.GetString(1), r.GetString(2), r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4),
                        RowCodec.Dec(r.GetString(5)));
                }
            }
            var stored = new Dictionary<RollupKey, RollupTotals>();
            using (var r = await rollup.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    stored[new RollupKey(r.GetString(0), r.GetInt64(1), r.GetString(2))] = new RollupTotals(r.GetInt64(3), (decimal)r.GetDouble(4));
                }
            }
            batch.Add(new AuditCustomer(id, seq, balances, ledger) { Rollup = stored, LedgerRollup = ledgerRollup });
        }
        return batch;
    }

    /// <summary>
    /// One page of the tenant's customers in creation order after <paramref name="afterSeq"/> (or the one named), read in
    /// the caller's transaction: the page both admin reads (audit and usage export) walk.
    /// </summary>
    private static async Task<List<(string Id, long Seq)>> ReadCustomerPageAsync(SqliteConnection c, SqliteTransaction tx, TenantId tenant,
        long afterSeq, int limit, string? customerId, CancellationToken ct)
    {
        var customers = new List<(string Id, long Seq)>();
        using (var list = Tenant(c, customerId is null
            ? "SELECT customer_id, seq FROM customers WHERE org_id = $o AND env = $e AND seq > $after ORDER BY seq LIMIT $limit"
            : "SELECT customer_id, seq FROM customers WHERE org_id = $o AND env = $e AND customer_id = $c", tenant))
        {
            list.Transaction = tx;
            list.Parameters.AddWithValue("$after", afterSeq);
            list.Parameters.AddWithValue("$limit", limit);
            list.Parameters.AddWithValue("$c", (object?)customerId ?? DBNull.Value);
            using var r = await list.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                customers.Add((r.GetString(0), r.GetInt64(1)));
            }
        }
        return customers;
    }
}
