using Npgsql;

namespace Tally.Storage.Postgres;

/// <summary>
/// Webhook retention: finished deliveries, their attempts and spent outbox events are deleted in batches. Rows another
/// node is pruning (or redelivering) at the same moment are skipped, not waited for.
/// </summary>
public sealed partial class PostgresStore
{
    public async Task<int> PruneWebhooksAsync(DateTimeOffset cutoff, int limit, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        var deleted = 0;
        await using (var cmd = new NpgsqlCommand("""
            WITH d AS (
                SELECT x.delivery_id FROM webhook_deliveries x
                WHERE x.status <> 'pending' AND x.created_at < $1
                    AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = x.delivery_id AND a.at >= $1)
                ORDER BY x.created_at LIMIT $2 FOR UPDATE SKIP LOCKED),
            a AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT delivery_id FROM d))
            DELETE FROM webhook_deliveries WHERE delivery_id IN (SELECT delivery_id FROM d)
            """, conn))
        {
            cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Long(RowCodec.Ms(cutoff)), P.Int(limit) });
            deleted += await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        // fanned_out is set in the transaction that inserts the event's deliveries, so an event seen fanned out with no
        // delivery has none left to send.
        await using (var cmd = new NpgsqlCommand("""
            DELETE FROM webhook_outbox WHERE event_id IN (
                SELECT o.event_id FROM webhook_outbox o
                WHERE o.fanned_out AND o.created_at < $1
                    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = o.event_id)
                ORDER BY o.created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            """, conn))
        {
            cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Long(RowCodec.Ms(cutoff)), P.Int(limit) });
            deleted += await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        return deleted;
    }
}
