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
        var customers = await ReadCustomerPageAsync(c, tx, tenant, afterSeq, limit, customerId, ct).ConfigureAwait(false);

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
