using System.Globalization;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string UpsertUsageSql = """
        INSERT INTO usage_hourly (org_id, env, customer_id, feature_id, hour, entity_id, count, sum) VALUES ($0, $1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (org_id, env, customer_id, feature_id, hour, entity_id) DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum
        """;

    /// <summary>
    /// Adds the unit's tracked ledger rows to their hours of the usage rollup, in the same unit as the rows. Rows of
    /// one (name, hour, entity) go in as one upsert carrying their count and exact decimal sum: a batch_track of
    /// 1,000 events of one feature is one rollup write, not 1,000.
    /// </summary>
    private static void WriteUsageRollup(ISqlSink w, string o, string env, string customerId, IReadOnlyList<LedgerEvent> events)
    {
        if (events.Count == 1)
        {
            // A single track: nothing to fold.
            var e = events[0];
            if (UsageRollup.Counts(e))
            {
                w.Exec(UpsertUsageSql, o, env, customerId, e.EventName, UsageRollup.HourOf(RowCodec.Ms(e.Timestamp)),
                    UsageRollup.EntityKey(e.EntityId), 1L, (double)e.Value);
            }
            return;
        }
        // Each group is its own row, so the order the upserts run in does not matter.
        var groups = new Dictionary<(string Name, long Hour, string Entity), (long Count, decimal Sum)>();
        foreach (var e in events)
        {
            if (UsageRollup.Counts(e))
            {
                var key = (e.EventName, UsageRollup.HourOf(RowCodec.Ms(e.Timestamp)), UsageRollup.EntityKey(e.EntityId));
                var t = groups.GetValueOrDefault(key);
                groups[key] = (t.Count + 1, t.Sum + e.Value);
            }
        }
        foreach (var ((name, hour, entity), (count, sum)) in groups)
        {
            w.Exec(UpsertUsageSql, o, env, customerId, name, hour, entity, count, (double)sum);
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
