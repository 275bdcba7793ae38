using Microsoft.Data.Sqlite;
using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore : IAuditStore
{
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
        using var events = Tenant(c, "SELECT deltas FROM events WHERE org_id = $o AND env = $e AND customer_id = $c ORDER BY seq", tenant);
        var cust = new[] { sources, rollovers, events }.Select(cmd =>
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
            using (var r = await events.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    Ledger.Fold(ledger, RowCodec.Read<List<SourceDelta>>(r.GetString(0)));
                }
            }
            batch.Add(new AuditCustomer(id, seq, balances, ledger));
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
