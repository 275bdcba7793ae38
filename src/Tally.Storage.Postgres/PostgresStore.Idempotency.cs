using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// Adds an idempotency key's advisory lock and the lookup of its record to the first batch of a unit of work: a
    /// concurrent request with the same key (on any node) waits here until this one commits or rolls back, then
    /// finds its record. Callers add a transaction's keys in <see cref="LockKeys.Idempotency"/> order.
    /// </summary>
    private static void AddIdempotencyLookup(NpgsqlBatch batch, TenantId t, string scopedKey)
    {
        batch.Add("SELECT pg_advisory_xact_lock($1)", P.Long(LockKeys.Idempotency(t, scopedKey)));
        batch.Add("SELECT request_hash, status, body, created_at FROM idempotency WHERE org_id = $1 AND env = $2 AND scoped_key = $3",
            P.Org(t), P.Env(t), P.Text(scopedKey));
    }

    private static async Task<IdempotencyRecord?> ReadIdempotencyAsync(ResultCursor results, string scopedKey, CancellationToken ct)
    {
        await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
        var r = await results.NextAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }
        return new IdempotencyRecord(scopedKey, r.GetString(0), r.GetInt32(1), r.GetFieldValue<byte[]>(2), RowCodec.FromMs(r.GetInt64(3)));
    }

    /// <summary>A stored record older than the retention counts as absent (and is replaced by the new one).</summary>
    private IReadOnlyList<IdempotencyRecord> Live(IReadOnlyList<IdempotencyRecord> found, DateTimeOffset now) =>
        found.Count == 0 ? found : [.. found.Where(f => f.CreatedAt >= now - _options.IdempotencyRetention)];

    /// <summary>
    /// Inserts the records. A plain INSERT: if another transaction slipped a record in for the same key (possible
    /// only where advisory locks are not global, e.g. several Citus coordinators), the unique violation aborts
    /// this transaction and the retry replays the winner's answer. An expired record of the key goes first.
    /// </summary>
    private static void WriteIdempotency(NpgsqlBatch batch, TenantId t, IReadOnlyList<IdempotencyRecord> records,
        IReadOnlyList<IdempotencyRecord> found)
    {
        foreach (var record in records)
        {
            foreach (var expired in found)
            {
                if (expired.ScopedKey == record.ScopedKey)
                {
                    batch.Add("DELETE FROM idempotency WHERE org_id = $1 AND env = $2 AND scoped_key = $3 AND created_at = $4",
                        P.Org(t), P.Env(t), P.Text(record.ScopedKey), P.Long(RowCodec.Ms(expired.CreatedAt)));
                }
            }
            batch.Add("""
                INSERT INTO idempotency (org_id, env, scoped_key, request_hash, status, body, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, P.Org(t), P.Env(t), P.Text(record.ScopedKey), P.Text(record.RequestHash), P.Int(record.Status), P.Bytes(record.Body),
                P.Long(RowCodec.Ms(record.CreatedAt)));
        }
    }

    public async Task<int> PruneIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM idempotency WHERE created_at < $1");
        cmd.Parameters.Add(P.Long(RowCodec.Ms(olderThan)));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
