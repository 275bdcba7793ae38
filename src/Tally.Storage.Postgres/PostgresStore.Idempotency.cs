using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>
    /// Adds the idempotency key's advisory lock and the lookup of its record to the first batch of a unit of
    /// work: a concurrent request with the same key (on any node) waits here until this one commits or rolls
    /// back, then finds its record.
    /// </summary>
    private static void AddIdempotencyLookup(NpgsqlBatch batch, TenantId t, IdempotencyRequest? req)
    {
        if (req is null)
        {
            return;
        }
        batch.Add("SELECT pg_advisory_xact_lock($1)", P.Long(LockKeys.Idempotency(t, req.ScopedKey)));
        batch.Add("SELECT request_hash, status, body, created_at FROM idempotency WHERE org_id = $1 AND env = $2 AND scoped_key = $3",
            P.Org(t), P.Env(t), P.Text(req.ScopedKey));
    }

    private static async Task<IdempotencyRecord?> ReadIdempotencyAsync(ResultCursor results, IdempotencyRequest? req, CancellationToken ct)
    {
        if (req is null)
        {
            return null;
        }
        await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
        var r = await results.NextAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }
        return new IdempotencyRecord(req.ScopedKey, r.GetString(0), r.GetInt32(1), r.GetFieldValue<byte[]>(2),
            RowCodec.FromMs(r.GetInt64(3)));
    }

    /// <summary>A stored record older than the retention counts as absent (and is replaced by the new one).</summary>
    private bool IsLive(IdempotencyRecord found, DateTimeOffset now) => found.CreatedAt >= now - _options.IdempotencyRetention;

    private static StoreResult<T> Answer<T>(IdempotencyRequest req, IdempotencyRecord found) =>
        found.RequestHash == req.RequestHash
            ? new StoreResult<T>(StoreOutcome.Replayed, default, found)
            : new StoreResult<T>(StoreOutcome.KeyConflict, default, found);

    private static IdempotencyRecord? Record(IdempotencyRequest? req, byte[]? body, int status, DateTimeOffset now) =>
        req is null || body is null ? null : new IdempotencyRecord(req.ScopedKey, req.RequestHash, status, body, now);

    /// <summary>
    /// Inserts the record. A plain INSERT: if another transaction slipped a record in for the same key (possible
    /// only where advisory locks are not global, e.g. several Citus coordinators), the unique violation aborts
    /// this transaction and the retry replays the winner's answer.
    /// </summary>
    private static void WriteIdempotency(NpgsqlBatch batch, TenantId t, IdempotencyRecord? record, IdempotencyRecord? expired)
    {
        if (record is null)
        {
            return;
        }
        if (expired is not null)
        {
            batch.Add("DELETE FROM idempotency WHERE org_id = $1 AND env = $2 AND scoped_key = $3 AND created_at = $4",
                P.Org(t), P.Env(t), P.Text(record.ScopedKey), P.Long(RowCodec.Ms(expired.CreatedAt)));
        }
        batch.Add("""
            INSERT INTO idempotency (org_id, env, scoped_key, request_hash, status, body, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, P.Org(t), P.Env(t), P.Text(record.ScopedKey), P.Text(record.RequestHash), P.Int(record.Status), P.Bytes(record.Body),
            P.Long(RowCodec.Ms(record.CreatedAt)));
    }

    public async Task<int> PruneIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM idempotency WHERE created_at < $1");
        cmd.Parameters.Add(P.Long(RowCodec.Ms(olderThan)));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
