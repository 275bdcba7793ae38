using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>Adds each tracked ledger row to its hour of the usage rollup, in the same batch as the row itself.</summary>
    private static void AddUsageRollup(NpgsqlBatch b, TenantId t, string customerId, IReadOnlyList<LedgerEvent> events)
    {
        foreach (var e in events)
        {
            if (UsageRollup.Counts(e))
            {
                b.AddScoped($"""
                    INSERT INTO usage_hourly (org_id, env, customer_id, feature_id, hour, entity_id, count, sum) VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
                    ON CONFLICT (org_id, env, customer_id, feature_id, hour, entity_id)
                    DO UPDATE SET count = usage_hourly.count + 1, sum = usage_hourly.sum + excluded.sum
                    """, t, customerId, P.Text(e.EventName), P.Long(UsageRollup.HourOf(RowCodec.Ms(e.Timestamp))),
                    P.Text(UsageRollup.EntityKey(e.EntityId)), P.Num(e.Value));
            }
        }
    }

    public async Task<IReadOnlyList<UsageHour>> QueryUsageAsync(TenantId tenant, UsageQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var names = query.Names.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
        {
            return [];
        }
        await using var cmd = _dataSource.CreateCommand();
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.TextArray(names));
        cmd.Parameters.Add(P.Long(query.FromHourMs));
        cmd.Parameters.Add(P.Long(query.ToHourMs));
        var sql = "SELECT feature_id, hour, SUM(count)::bigint, SUM(sum) FROM usage_hourly WHERE org_id = $1 AND env = $2 AND feature_id = ANY($3)"
            + " AND hour >= $4 AND hour < $5";
        if (query.CustomerId is not null)
        {
            cmd.Parameters.Add(P.Text(query.CustomerId));
            sql += " AND customer_id = $" + cmd.Parameters.Count;
        }
        if (query.EntityId is not null)
        {
            cmd.Parameters.Add(P.Text(query.EntityId));
            sql += " AND entity_id = $" + cmd.Parameters.Count;
        }
        cmd.CommandText = sql + " GROUP BY feature_id, hour";
        var list = new List<UsageHour>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new UsageHour(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetDecimal(3)));
        }
        return list;
    }
}
