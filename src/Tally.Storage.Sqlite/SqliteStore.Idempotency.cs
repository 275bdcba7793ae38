using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private static void WriteIdempotency(ISqlSink w, TenantId t, IReadOnlyList<IdempotencyRecord> records)
    {
        foreach (var r in records)
        {
            w.Exec("""
                INSERT INTO idempotency (org_id, env, scoped_key, request_hash, status, body, created_at) VALUES ($0, $1, $2, $3, $4, $5, $6)
                ON CONFLICT (org_id, env, scoped_key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
                    body = excluded.body, created_at = excluded.created_at
                """, t.OrgId, RowCodec.EnvName(t.Env), r.ScopedKey, r.RequestHash, r.Status, r.Body, RowCodec.Ms(r.CreatedAt));
        }
    }

    /// <summary>
    /// Claims the request's idempotency keys for this process, or answers with the stored result. A concurrent
    /// request sharing a key waits for the first one to finish and then finds its record. The records are read
    /// after the claim: a holder commits before it releases, so what a claimed key's lookup misses was never written.
    /// </summary>
    private async Task<(StoreResult<T>? Replay, KeyClaims.Claim? Claim)> ClaimAsync<T>(TenantId tenant, IdempotencyRequest req,
        CancellationToken ct)
    {
        var claim = await _claims.ClaimAsync(tenant, req, ct).ConfigureAwait(false);
        try
        {
            var found = await LoadIdempotencyAsync(tenant, req.OrderedKeys, ct).ConfigureAwait(false);
            if (Idempotency.Answer<T>(req, found) is { } answer)
            {
                claim!.Dispose();
                return (answer, null);
            }
            return (null, claim);
        }
        catch
        {
            claim!.Dispose();
            throw;
        }
    }

    private async Task<IReadOnlyList<IdempotencyRecord>> LoadIdempotencyAsync(TenantId t, IReadOnlyList<string> keys, CancellationToken ct)
    {
        List<IdempotencyRecord>? found = null;
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = Tenant(c, "SELECT request_hash, status, body, created_at FROM idempotency WHERE org_id = $o AND env = $e AND scoped_key = $k", t);
        var key = cmd.Parameters.Add("$k", Microsoft.Data.Sqlite.SqliteType.Text);
        var oldest = _time.GetUtcNow() - _options.IdempotencyRetention;
        foreach (var scopedKey in keys)
        {
            key.Value = scopedKey;
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false))
            {
                continue;
            }
            var created = RowCodec.FromMs(r.GetInt64(3));
            if (created < oldest)
            {
                continue;
            }
            (found ??= []).Add(new IdempotencyRecord(scopedKey, r.GetString(0), r.GetInt32(1), (byte[])r.GetValue(2), created));
        }
        return found ?? (IReadOnlyList<IdempotencyRecord>)[];
    }

    public async Task<int> PruneIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        var count = 0;
        await Pipeline.CommitAsync(w => count = w.Exec("DELETE FROM idempotency WHERE created_at < $0", RowCodec.Ms(olderThan)), Pipeline.Epoch)
            .ConfigureAwait(false);
        return count;
    }
}
