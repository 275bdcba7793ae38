using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

/// <summary>
/// Organizations and API keys. Only SHA-256 hashes of keys are stored. Writes go through the single writer, so a
/// revocation's "is another key still active" test and its update run in one transaction no other write interleaves.
/// </summary>
public sealed partial class SqliteStore
{
    private const string KeyColumns = "key_id, org_id, env, name, prefix, source, created_at, last_used_at, revoked_at";

    public async Task<ApiKeyMatch?> FindApiKeyAsync(string keyHash, CancellationToken ct) =>
        await FindActiveApiKeyAsync(keyHash, ct).ConfigureAwait(false) is { } k ? new ApiKeyMatch(k.Tenant.OrgId, k.Tenant.Env) : null;

    public async Task<ApiKeyIdentity?> FindActiveApiKeyAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT key_id, org_id, env FROM api_keys WHERE key_hash = $h AND revoked_at IS NULL";
        cmd.Parameters.AddWithValue("$h", keyHash);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false)
            ? new ApiKeyIdentity(r.GetString(0), new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))))
            : null;
    }

    public async Task<long> GetApiKeysVersionAsync(CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version FROM api_keys_version WHERE singleton = 1";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<bool> AnyOrganizationAsync(CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT EXISTS (SELECT 1 FROM organizations)";
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 1;
    }

    public Task EnsureOrganizationAsync(string orgId, string name, IReadOnlyList<(string KeyHash, Env Env)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        // Callers of this older entry point bring no ids: a random one, like the rows migrated from before key ids.
        var list = keys.Select(k => new NewApiKey("key_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(13)),
            k.KeyHash, k.Env, null, "environment")).ToList();
        return SyncEnvironmentKeysAsync(orgId, name, list, revokeUnlisted: false, ct);
    }

    public async Task<EnvKeySync> SyncEnvironmentKeysAsync(string orgId, string orgName, IReadOnlyList<NewApiKey> keys, bool revokeUnlisted,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var now = RowCodec.Ms(_time.GetUtcNow());
        var hashes = JsonSerializer.Serialize(keys.Select(k => k.KeyHash).ToArray());
        var revoked = 0;
        await Pipeline.CommitAsync(w =>
        {
            w.Exec("INSERT INTO organizations (org_id, name, created_at) VALUES ($0, $1, $2) ON CONFLICT (org_id) DO NOTHING", orgId, orgName, now);
            foreach (var k in keys)
            {
                // A hash already registered keeps its id, name and state; only a prefix it lacked (rows from before
                // key management) is filled in, and only within the same organization.
                w.Exec("""
                    INSERT INTO api_keys (key_hash, key_id, org_id, env, name, prefix, source, created_at)
                    VALUES ($0, $1, $2, $3, $4, $5, 'env', $6)
                    ON CONFLICT (key_hash) DO UPDATE SET prefix = COALESCE(api_keys.prefix, excluded.prefix)
                    WHERE api_keys.org_id = excluded.org_id
                    """, k.KeyHash, k.KeyId, orgId, RowCodec.EnvName(k.Env), k.Name, k.Prefix, now);
            }
            if (revokeUnlisted)
            {
                // The revocation time marks this start's revocations, so they can be listed after the commit.
                revoked = w.Exec("""
                    UPDATE api_keys SET revoked_at = $1
                    WHERE org_id = $0 AND source = 'env' AND revoked_at IS NULL AND key_hash NOT IN (SELECT value FROM json_each($2))
                    """, orgId, now, hashes);
                if (revoked > 0)
                {
                    w.Exec("UPDATE api_keys_version SET version = version + 1 WHERE singleton = 1");
                }
            }
        }, Pipeline.Epoch).ConfigureAwait(false);
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var revokedIds = revoked == 0 ? [] : await IdsAsync(c, """
            SELECT key_id FROM api_keys WHERE org_id = $o AND source = 'env' AND revoked_at = $t
            AND key_hash NOT IN (SELECT value FROM json_each($h)) ORDER BY key_id
            """, orgId, now, hashes, ct).ConfigureAwait(false);
        var listedButRevoked = await IdsAsync(c, """
            SELECT key_id FROM api_keys WHERE org_id = $o AND revoked_at IS NOT NULL
            AND key_hash IN (SELECT value FROM json_each($h)) ORDER BY key_id
            """, orgId, now, hashes, ct).ConfigureAwait(false);
        return new EnvKeySync(revokedIds, listedButRevoked);
    }

    public async Task<ApiKeyInfo> CreateApiKeyAsync(TenantId tenant, NewApiKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = RowCodec.Ms(_time.GetUtcNow());
        await Pipeline.CommitAsync(w => w.Exec("""
            INSERT INTO api_keys (key_hash, key_id, org_id, env, name, prefix, source, created_at)
            VALUES ($0, $1, $2, $3, $4, $5, 'api', $6)
            """, key.KeyHash, key.KeyId, tenant.OrgId, tenant.EnvName, key.Name, key.Prefix, now), Pipeline.Epoch).ConfigureAwait(false);
        return new ApiKeyInfo(key.KeyId, tenant, key.Name, key.Prefix, ApiKeySource.Api, DateTimeOffset.FromUnixTimeMilliseconds(now), null, null);
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(TenantId tenant, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {KeyColumns} FROM api_keys WHERE org_id = $o AND env = $e ORDER BY created_at, key_id";
        cmd.Parameters.AddWithValue("$o", tenant.OrgId);
        cmd.Parameters.AddWithValue("$e", tenant.EnvName);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
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
        var changed = 0;
        await Pipeline.CommitAsync(w =>
        {
            changed = w.Exec("""
                UPDATE api_keys SET revoked_at = $3
                WHERE key_id = $0 AND org_id = $1 AND env = $2 AND revoked_at IS NULL
                AND EXISTS (SELECT 1 FROM api_keys o WHERE o.org_id = $1 AND o.env = $2 AND o.revoked_at IS NULL AND o.key_id <> $0)
                """, keyId, tenant.OrgId, tenant.EnvName, now);
            if (changed > 0)
            {
                w.Exec("UPDATE api_keys_version SET version = version + 1 WHERE singleton = 1");
            }
        }, Pipeline.Epoch).ConfigureAwait(false);
        var key = (await ListApiKeysAsync(tenant, ct).ConfigureAwait(false)).FirstOrDefault(k => k.KeyId == keyId);
        // Nothing changed and the key is still active: it was the last one (the update above decided that atomically).
        return key is null ? new RevokeResult(RevokeOutcome.NotFound, null)
            : changed == 0 && key.RevokedAt is null ? new RevokeResult(RevokeOutcome.LastKey, key)
            : new RevokeResult(RevokeOutcome.Revoked, key);
    }

    public Task RecordApiKeyUseAsync(IReadOnlyList<(string KeyId, DateTimeOffset UsedAt)> uses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uses);
        if (uses.Count == 0)
        {
            return Task.CompletedTask;
        }
        return Pipeline.CommitAsync(w =>
        {
            foreach (var (id, at) in uses)
            {
                w.Exec("UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), $1) WHERE key_id = $0", id, RowCodec.Ms(at));
            }
        }, Pipeline.Epoch);
    }

    private static async Task<List<string>> IdsAsync(SqliteConnection c, string sql, string orgId, long now, string hashes, CancellationToken ct)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$o", orgId);
        cmd.Parameters.AddWithValue("$t", now);
        cmd.Parameters.AddWithValue("$h", hashes);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ids = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(r.GetString(0));
        }
        return ids;
    }

    private static ApiKeyInfo ReadKey(SqliteDataReader r) => new(
        r.GetString(0),
        new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))),
        r.GetString(3),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.GetString(5) == "api" ? ApiKeySource.Api : ApiKeySource.Env,
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)));
}
