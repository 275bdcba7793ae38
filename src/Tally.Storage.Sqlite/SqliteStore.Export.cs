using Microsoft.Data.Sqlite;
using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore : IUsageExportStore
{
    public async Task<IReadOnlyList<UsageCustomer>> ReadUsageBatchAsync(TenantId tenant, long afterSeq, int limit, string? customerId,
        DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var tx = c.BeginTransaction(deferred: true);
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

        using var sources = Tenant(c, "SELECT data FROM balance_sources WHERE org_id = $o AND env = $e AND customer_id = $c", tenant);
        using var events = Tenant(c, "SELECT timestamp, deltas FROM events WHERE org_id = $o AND env = $e AND customer_id = $c"
            + " AND kind IN (" + UsageKinds + ") AND timestamp >= $from AND timestamp < $to", tenant);
        events.Parameters.AddWithValue("$from", RowCodec.Ms(from));
        events.Parameters.AddWithValue("$to", RowCodec.Ms(to));
        var cust = new[] { sources, events }.Select(cmd =>
        {
            cmd.Transaction = tx;
            return cmd.Parameters.Add("$c", SqliteType.Text);
        }).ToArray();

        var batch = new List<UsageCustomer>(customers.Count);
        foreach (var (id, seq) in customers)
        {
            foreach (var p in cust)
            {
                p.Value = id;
            }
            var grants = new List<GrantWindow>();
            using (var r = await sources.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    grants.Add(Window(RowCodec.Read<BalanceSource>(r.GetString(0))));
                }
            }
            var usage = new Dictionary<(DateTimeOffset, string), decimal>();
            using (var r = await events.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    UsageExport.Fold(usage, RowCodec.FromMs(r.GetInt64(0)), RowCodec.Read<List<SourceDelta>>(r.GetString(1)));
                }
            }
            batch.Add(new UsageCustomer(id, seq, grants, usage));
        }
        return batch;
    }

    /// <summary>The ledger kinds that count as usage, as SQL literals (enum names, never user text).</summary>
    internal static readonly string UsageKinds = string.Join(", ", Enum.GetValues<LedgerKind>().Where(UsageExport.IsUsage).Select(k => $"'{k}'"));

    internal static GrantWindow Window(BalanceSource s) =>
        new(s.FeatureId, s.IncludedGrant + s.PrepaidGrant, s.Unlimited, s.CreatedAt, s.ExpiresAt);
}
