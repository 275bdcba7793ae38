using System.Globalization;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string UpsertUsageSql = """
        INSERT INTO usage_hourly (org_id, env, customer_id, feature_id, hour, entity_id, count, sum) VALUES ($0, $1, $2, $3, $4, $5, 1, $6)
        ON CONFLICT (org_id, env, customer_id, feature_id, hour, entity_id) DO UPDATE SET count = count + 1, sum = sum + excluded.sum
        """;

    /// <summary>Adds each tracked ledger row to its hour of the usage rollup, in the same unit as the row itself.</summary>
    private static void WriteUsageRollup(ISqlSink w, string o, string env, string customerId, IReadOnlyList<LedgerEvent> events)
    {
        foreach (var e in events)
        {
            if (UsageRollup.Counts(e))
            {
                w.Exec(UpsertUsageSql, o, env, customerId, e.EventName, UsageRollup.HourOf(RowCodec.Ms(e.Timestamp)),
                    UsageRollup.EntityKey(e.EntityId), (double)e.Value);
            }
        }
    }

    public async Task<IReadOnlyList<UsageHour>> QueryUsageAsync(TenantId tenant, UsageQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var sql = "SELECT hour, SUM(count), SUM(sum) FROM usage_hourly WHERE org_id = $o AND env = $e AND feature_id = $f"
            + (query.CustomerId is null ? "" : " AND customer_id = $c")
            + (query.EntityId is null ? "" : " AND entity_id = $ent")
            + " AND hour >= $from AND hour < $to GROUP BY hour";
        using var cmd = Tenant(c, sql, tenant);
        var name = cmd.Parameters.AddWithValue("$f", "");
        cmd.Parameters.AddWithValue("$c", (object?)query.CustomerId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$ent", (object?)query.EntityId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$from", query.FromHourMs);
        cmd.Parameters.AddWithValue("$to", query.ToHourMs);
        var list = new List<UsageHour>();
        foreach (var n in query.Names.Distinct(StringComparer.Ordinal))
        {
            name.Value = n;
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                // Rounded back to the 15 significant digits a double holds exactly, so 0.1 + 0.2 reads as 0.3.
                var sum = decimal.Parse(r.GetDouble(2).ToString("G15", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
                list.Add(new UsageHour(n, r.GetInt64(0), r.GetInt64(1), sum));
            }
        }
        return list;
    }
}
