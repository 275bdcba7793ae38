using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// The writes of one customer that later units of the same transaction overwrite or add to: a hot customer's
    /// batch of tracks moves the same balance source and the same usage hour once per unit. Kept here and sent once,
    /// after the customer's last unit, they cost one statement each instead of one per unit (and PostgreSQL writes
    /// one row version instead of one per unit).
    /// </summary>
    private sealed class Coalesced
    {
        /// <summary>The last upsert of each source; a deletion drops it (the DELETE is sent in place).</summary>
        public Dictionary<string, BalanceSource> Sources { get; } = new(StringComparer.Ordinal);

        /// <summary>Usage rollup increments by (feature, hour, entity key): ordinal strings, no joined key.</summary>
        public Dictionary<(string Feature, long Hour, string Entity), (long Count, decimal Sum)> Usage { get; } = [];

        /// <summary>A deletion of the customer removes every row, pending ones too.</summary>
        public void Clear()
        {
            Sources.Clear();
            Usage.Clear();
        }

        public void Add(IReadOnlyList<LedgerEvent> events)
        {
            foreach (var e in events)
            {
                if (UsageRollup.Counts(e))
                {
                    var key = (e.EventName, UsageRollup.HourOf(RowCodec.Ms(e.Timestamp)), UsageRollup.EntityKey(e.EntityId));
                    var (count, sum) = Usage.GetValueOrDefault(key);
                    Usage[key] = (count + 1, sum + e.Value);
                }
            }
        }
    }

    private static void WriteCoalesced(NpgsqlBatch b, TenantId t, string customerId, Coalesced pending)
    {
        foreach (var s in pending.Sources.Values)
        {
            WriteSource(b, t, customerId, s);
        }
        foreach (var ((feature, hour, entity), (count, sum)) in pending.Usage)
        {
            b.AddScoped($"""
                INSERT INTO usage_hourly (org_id, env, customer_id, feature_id, hour, entity_id, count, sum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (org_id, env, customer_id, feature_id, hour, entity_id)
                DO UPDATE SET count = usage_hourly.count + excluded.count, sum = usage_hourly.sum + excluded.sum
                """, t, customerId, P.Text(feature), P.Long(hour), P.Text(entity), P.Long(count), P.Num(sum));
        }
        pending.Clear();
    }

    private static void WriteSource(NpgsqlBatch b, TenantId t, string customerId, BalanceSource s) =>
        b.AddScoped("""
            INSERT INTO balance_sources (org_id, env, customer_id, source_id, feature_id, entity_id, balance, next_reset_at, expires_at, data)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (org_id, env, customer_id, source_id) DO UPDATE SET
                feature_id = excluded.feature_id, entity_id = excluded.entity_id, balance = excluded.balance,
                next_reset_at = excluded.next_reset_at, expires_at = excluded.expires_at, data = excluded.data
            """, t, customerId, P.Text(s.Id), P.Text(s.FeatureId), P.Text(s.EntityId), P.Num(s.Balance),
            P.Long(RowCodec.Ms(s.NextResetAt)), P.Long(RowCodec.Ms(s.ExpiresAt)), P.Json(RowCodec.Write(s)));
}
