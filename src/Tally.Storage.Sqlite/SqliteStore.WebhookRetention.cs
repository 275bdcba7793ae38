namespace Tally.Storage.Sqlite;

/// <summary>Webhook retention: finished deliveries, their attempts and spent outbox events are deleted in batches.</summary>
public sealed partial class SqliteStore
{
    public async Task<int> PruneWebhooksAsync(DateTimeOffset cutoff, int limit, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var cut = RowCodec.Ms(cutoff);
        var ids = new List<string>();
        await using (var c = await OpenReaderAsync(ct).ConfigureAwait(false))
        {
            using var cmd = c.CreateCommand();
            // "status <> 'pending'" spelled as the partial index's condition so SQLite uses it.
            cmd.CommandText = """
                SELECT d.delivery_id FROM webhook_deliveries d
                WHERE d.status <> 'pending' AND d.created_at < $cut
                    AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.delivery_id AND a.at >= $cut)
                ORDER BY d.created_at LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$cut", cut);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                ids.Add(r.GetString(0));
            }
        }
        var deleted = 0;
        await Pipeline.CommitAsync(w =>
        {
            foreach (var id in ids)
            {
                // Checked again inside the write: a webhooks.redeliver since the read made the delivery pending again.
                w.Exec("""
                    DELETE FROM webhook_attempts WHERE delivery_id = $0
                        AND EXISTS (SELECT 1 FROM webhook_deliveries WHERE delivery_id = $0 AND status <> 'pending')
                    """, id);
                deleted += w.Exec("DELETE FROM webhook_deliveries WHERE delivery_id = $0 AND status <> 'pending'", id);
            }
            deleted += w.Exec("""
                DELETE FROM webhook_outbox WHERE event_id IN (
                    SELECT o.event_id FROM webhook_outbox o
                    WHERE o.fanned_out = 1 AND o.created_at < $0
                        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = o.event_id)
                    ORDER BY o.created_at LIMIT $1)
                """, cut, limit);
        }, Pipeline.Epoch).ConfigureAwait(false);
        return deleted;
    }
}
