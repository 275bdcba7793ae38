using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

/// <summary>Organizations and API keys. Only SHA-256 hashes of keys are stored.</summary>
public sealed partial class PostgresStore
{
    private const string KeyColumns = "key_id, org_id, env, name, prefix, source, created_at, last_used_at, revoked_at";

    public async Task<ApiKeyMatch?> FindApiKeyAsync(string keyHash, CancellationToken ct) =>
        await FindActiveApiKeyAsync(keyHash, ct).ConfigureAwait(false) is { } k ? new ApiKeyMatch(k.Tenant.OrgId, k.Tenant.Env) : null;

    public async Task<ApiKeyIdentity?> FindActiveApiKeyAsync(string keyHash, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT key_id, org_id, env FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL");
        cmd.Parameters.Add(P.Text(keyHash));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false)
            ? new ApiKeyIdentity(r.GetString(0), new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))))
            : null;
    }

    public async Task<long> GetApiKeysVersionAsync(CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT version FROM api_keys_version WHERE singleton = 1");
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async Task<bool> AnyOrganizationAsync(CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM organizations)");
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async Task EnsureOrganizationAsync(string orgId, string name, IReadOnlyList<(string KeyHash, Env Env)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        // Callers of this older entry point bring no ids: a random one, like the rows migrated from before key ids.
        var list = keys.Select(k => new NewApiKey("key_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(13)),
            k.KeyHash, k.Env, null, "environment")).ToList();
        await SyncEnvironmentKeysAsync(orgId, name, list, revokeUnlisted: false, ct).ConfigureAwait(false);
    }

    public async Task<EnvKeySync> SyncEnvironmentKeysAsync(string orgId, string orgName, IReadOnlyList<NewApiKey> keys, bool revokeUnlisted,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var now = RowCodec.Ms(_time.GetUtcNow());
        return await RetryAsync(async () =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            await ExecAsync(conn, "INSERT INTO organizations (org_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id) DO NOTHING",
                ct, P.Text(orgId), P.Text(orgName), P.Long(now)).ConfigureAwait(false);
            foreach (var k in keys)
            {
                // A hash already registered keeps its id, name and state; only a prefix it lacked (rows from before
                // key management) is filled in, and only within the same organization.
                await ExecAsync(conn, $"""
                    INSERT INTO api_keys (key_hash, key_id, org_id, env, name, prefix, source, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, 'env', $7)
                    ON CONFLICT (key_hash) DO UPDATE SET prefix = COALESCE(api_keys.prefix, excluded.prefix)
                    WHERE api_keys.org_id = excluded.org_id
                    """, ct, P.Text(k.KeyHash), P.Text(k.KeyId), P.Text(orgId), P.Text(RowCodec.EnvName(k.Env)), P.Text(k.Name),
                    P.Text(k.Prefix), P.Long(now)).ConfigureAwait(false);
            }
            var hashes = keys.Select(k => k.KeyHash).ToList();
            var revoked = revokeUnlisted
                ? await IdsAsync(conn, """
                    WITH r AS (
                        UPDATE api_keys SET revoked_at = $2
                        WHERE org_id = $1 AND source = 'env' AND revoked_at IS NULL AND NOT (key_hash = ANY($3))
                        RETURNING key_id),
                    v AS (UPDATE api_keys_version SET version = version + 1 WHERE singleton = 1 AND EXISTS (SELECT 1 FROM r))
                    SELECT key_id FROM r ORDER BY key_id
                    """, ct, P.Text(orgId), P.Long(now), P.TextArray(hashes)).ConfigureAwait(false)
                : [];
            var listedButRevoked = await IdsAsync(conn,
                "SELECT key_id FROM api_keys WHERE org_id = $1 AND key_hash = ANY($2) AND revoked_at IS NOT NULL ORDER BY key_id",
                ct, P.Text(orgId), P.TextArray(hashes)).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return new EnvKeySync(revoked, listedButRevoked);
        }, ct).ConfigureAwait(false);
    }

    public async Task<ApiKeyInfo> CreateApiKeyAsync(TenantId tenant, NewApiKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetUtcNow();
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO api_keys (key_hash, key_id, org_id, env, name, prefix, source, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, 'api', $7)
            """);
        cmd.Parameters.Add(P.Text(key.KeyHash));
        cmd.Parameters.Add(P.Text(key.KeyId));
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Text(key.Name));
        cmd.Parameters.Add(P.Text(key.Prefix));
        cmd.Parameters.Add(P.Long(RowCodec.Ms(now)));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return new ApiKeyInfo(key.KeyId, tenant, key.Name, key.Prefix, ApiKeySource.Api, DateTimeOffset.FromUnixTimeMilliseconds(RowCodec.Ms(now)),
            null, null);
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(TenantId tenant, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            $"SELECT {KeyColumns} FROM api_keys WHERE org_id = $1 AND env = $2 ORDER BY created_at, key_id");
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ApiKeyInfo>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(ReadKey(r));
        }
        return list;
    }

    public async Task<RevokeResult> RevokeApiKeyAsync(TenantId tenant, string keyId, CancellationToken ct)
    {
        var now = RowCodec.Ms(_time.GetUtcNow());
        return await RetryAsync(async () =>
        {
            await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            // Locking every active key of the tenant serialises concurrent revocations on any node: the second one
            // re-reads the rows after the first commits, so two "not the last" revocations cannot empty the tenant.
            var active = await IdsAsync(conn,
                "SELECT key_id FROM api_keys WHERE org_id = $1 AND env = $2 AND revoked_at IS NULL ORDER BY key_id FOR UPDATE",
                ct, P.Org(tenant), P.Env(tenant)).ConfigureAwait(false);
            if (active.Contains(keyId, StringComparer.Ordinal))
            {
                if (active.Count == 1)
                {
                    return new RevokeResult(RevokeOutcome.LastKey, await FindKeyAsync(conn, tenant, keyId, ct).ConfigureAwait(false));
                }
                await ExecAsync(conn, "UPDATE api_keys SET revoked_at = $3 WHERE key_id = $1 AND org_id = $2", ct,
                    P.Text(keyId), P.Org(tenant), P.Long(now)).ConfigureAwait(false);
                await ExecAsync(conn, "UPDATE api_keys_version SET version = version + 1 WHERE singleton = 1", ct).ConfigureAwait(false);
            }
            var key = await FindKeyAsync(conn, tenant, keyId, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return key is null ? new RevokeResult(RevokeOutcome.NotFound, null) : new RevokeResult(RevokeOutcome.Revoked, key);
        }, ct).ConfigureAwait(false);
    }

    public async Task RecordApiKeyUseAsync(IReadOnlyList<(string KeyId, DateTimeOffset UsedAt)> uses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uses);
        if (uses.Count == 0)
        {
            return;
        }
        await using var cmd = _dataSource.CreateCommand("""
            UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.used_at)
            FROM unnest($1::text[], $2::bigint[]) AS u(key_id, used_at)
            WHERE k.key_id = u.key_id
            """);
        cmd.Parameters.Add(P.TextArray(uses.Select(u => u.KeyId).ToList()));
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = uses.Select(u => RowCodec.Ms(u.UsedAt)).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<ApiKeyInfo?> FindKeyAsync(NpgsqlConnection conn, TenantId tenant, string keyId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {KeyColumns} FROM api_keys WHERE key_id = $1 AND org_id = $2 AND env = $3", conn);
        cmd.Parameters.Add(P.Text(keyId));
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadKey(r) : null;
    }

    private static ApiKeyInfo ReadKey(NpgsqlDataReader r) => new(
        r.GetString(0),
        new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))),
        r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.GetString(5) == "api" ? ApiKeySource.Api : ApiKeySource.Env,
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)));

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddRange(parameters);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<List<string>> IdsAsync(NpgsqlConnection conn, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddRange(parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ids = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(r.GetString(0));
        }
        return ids;
    }
}
