using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

/// <summary>Organizations and API keys.</summary>
public sealed partial class SqliteStore
{
    public async Task<ApiKeyMatch?> FindApiKeyAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT org_id, env FROM api_keys WHERE key_hash = $h";
        cmd.Parameters.AddWithValue("$h", keyHash);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new ApiKeyMatch(r.GetString(0), RowCodec.ParseEnv(r.GetString(1))) : null;
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
        var now = RowCodec.Ms(_time.GetUtcNow());
        return Pipeline.CommitAsync(w =>
        {
            w.Exec("INSERT INTO organizations (org_id, name, created_at) VALUES ($0, $1, $2) ON CONFLICT (org_id) DO NOTHING", orgId, name, now);
            foreach (var (hash, env) in keys)
            {
                w.Exec("INSERT INTO api_keys (key_hash, org_id, env, created_at) VALUES ($0, $1, $2, $3) ON CONFLICT (key_hash) DO NOTHING",
                    hash, orgId, RowCodec.EnvName(env), now);
            }
        }, Pipeline.Epoch);
    }
}
