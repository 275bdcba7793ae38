using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

/// <summary>Organizations and API keys.</summary>
public sealed partial class PostgresStore
{
    public async Task<ApiKeyMatch?> FindApiKeyAsync(string keyHash, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT org_id, env FROM api_keys WHERE key_hash = $1");
        cmd.Parameters.Add(P.Text(keyHash));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new ApiKeyMatch(r.GetString(0), RowCodec.ParseEnv(r.GetString(1))) : null;
    }

    public async Task<bool> AnyOrganizationAsync(CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM organizations)");
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async Task EnsureOrganizationAsync(string orgId, string name, IReadOnlyList<(string KeyHash, Env Env)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var now = RowCodec.Ms(_time.GetUtcNow());
        await RetryAsync(async () =>
        {
            await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
            await using var batch = unit.Begin();
            batch.Add("INSERT INTO organizations (org_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id) DO NOTHING",
                P.Text(orgId), P.Text(name), P.Long(now));
            foreach (var (hash, env) in keys)
            {
                batch.Add("INSERT INTO api_keys (key_hash, org_id, env, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING",
                    P.Text(hash), P.Text(orgId), P.Text(RowCodec.EnvName(env)), P.Long(now));
            }
            await unit.CommitAsync(batch, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    }
}
