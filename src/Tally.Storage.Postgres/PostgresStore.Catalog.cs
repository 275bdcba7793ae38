using System.Collections.Concurrent;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>A tenant's catalog as of a catalog version; trusted only after the database confirms the version.</summary>
    private sealed record CachedCatalog(long Version, Catalog Catalog);

    private readonly ConcurrentDictionary<TenantId, CachedCatalog> _catalogs = new();

    /// <summary>
    /// One statement, so one snapshot: the current version, plus every feature and plan row only when the caller's
    /// cached version ($3) is not current. A tenant that never had a catalog change is version 0.
    /// </summary>
    private const string CatalogSql = """
        WITH v AS (SELECT COALESCE((SELECT version FROM catalog_versions WHERE org_id = $1 AND env = $2), 0) AS version)
        SELECT 0, v.version, NULL::text FROM v
        UNION ALL
        SELECT 1, 0, f.data::text FROM features f, v WHERE f.org_id = $1 AND f.env = $2 AND v.version <> $3
        UNION ALL
        SELECT 2, 0, p.data::text FROM plans p, v WHERE p.org_id = $1 AND p.env = $2 AND v.version <> $3
        """;

    private static void AddCatalogLoad(NpgsqlBatch batch, TenantId t, CachedCatalog? cached) =>
        batch.Add(CatalogSql, P.Org(t), P.Env(t), P.Long(cached?.Version ?? -1));

    private async Task<Catalog> ReadCatalogAsync(ResultCursor results, TenantId t, CachedCatalog? cached, CancellationToken ct)
    {
        var r = await results.NextAsync(ct).ConfigureAwait(false);
        long version = 0;
        var features = new List<Feature>();
        var plans = new List<Plan>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            switch (r.GetInt32(0))
            {
                case 0:
                    version = r.GetInt64(1);
                    break;
                case 1:
                    features.Add(RowCodec.Read<Feature>(r.GetString(2)));
                    break;
                default:
                    plans.Add(RowCodec.Read<Plan>(r.GetString(2)));
                    break;
            }
        }
        if (cached is not null && cached.Version == version)
        {
            return cached.Catalog;
        }
        var catalog = new Catalog(features, plans);
        Remember(t, version, catalog);
        return catalog;
    }

    private void Remember(TenantId t, long version, Catalog catalog)
    {
        var fresh = new CachedCatalog(version, catalog);
        _catalogs.AddOrUpdate(t, fresh, (_, old) => old.Version >= version ? old : fresh);
    }

    public async ValueTask<Catalog> GetCatalogAsync(TenantId tenant, CancellationToken ct)
    {
        var cached = _catalogs.GetValueOrDefault(tenant);
        await using var cmd = _dataSource.CreateCommand(CatalogSql);
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Long(cached?.Version ?? -1));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await ReadCatalogAsync(new ResultCursor(r), tenant, cached, ct).ConfigureAwait(false);
    }

    public async Task<StoreResult<T>> MutateCatalogAsync<T>(TenantId tenant, CatalogWork<T> work, IdempotencyRequest? idempotency,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var claim = await _claims.ClaimAsync(tenant, idempotency, ct).ConfigureAwait(false);
        return await RetryAsync(() => MutateCatalogOnceAsync(tenant, work, idempotency, ct), ct).ConfigureAwait(false);
    }

    /// <summary>Catalog changes of a tenant are serialised by a row lock on its version row, which they bump.</summary>
    private async Task<StoreResult<T>> MutateCatalogOnceAsync<T>(TenantId tenant, CatalogWork<T> work, IdempotencyRequest? idempotency,
        CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var cached = _catalogs.GetValueOrDefault(tenant);
        await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
        var keys = idempotency is null ? [] : idempotency.OrderedKeys.OrderBy(k => LockKeys.Idempotency(tenant, k)).ToList();
        var found = new List<IdempotencyRecord>();
        long version;
        Catalog catalog;
        await using (var batch = unit.Begin())
        {
            foreach (var key in keys)
            {
                AddIdempotencyLookup(batch, tenant, key);
            }
            batch.Add("INSERT INTO catalog_versions (org_id, env, version) VALUES ($1, $2, 0) ON CONFLICT (org_id, env) DO NOTHING",
                P.Org(tenant), P.Env(tenant));
            batch.Add("SELECT version FROM catalog_versions WHERE org_id = $1 AND env = $2 FOR UPDATE", P.Org(tenant), P.Env(tenant));
            AddCatalogLoad(batch, tenant, cached);
            await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var results = new ResultCursor(r);
            foreach (var key in keys)
            {
                if (await ReadIdempotencyAsync(results, key, ct).ConfigureAwait(false) is { } record)
                {
                    found.Add(record);
                }
            }
            await results.NextAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            version = r.GetInt64(0);
            catalog = await ReadCatalogAsync(results, tenant, cached, ct).ConfigureAwait(false);
        }
        if (idempotency is not null && Idempotency.Answer<T>(idempotency, Live(found, now)) is { } answer)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return answer;
        }
        var decision = work(catalog);
        var changes = decision.Changes is { IsEmpty: false } ch ? ch : null;
        var records = Idempotency.Records(idempotency, decision.Response, decision.Status, now);
        if (changes is null && records.Count == 0)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return StoreResult<T>.Done(decision.Result);
        }
        Catalog? updated = null;
        await using (var write = unit.Batch())
        {
            if (changes is not null)
            {
                updated = WriteCatalog(write, tenant, catalog, changes);
                write.Add("UPDATE catalog_versions SET version = $3 WHERE org_id = $1 AND env = $2",
                    P.Org(tenant), P.Env(tenant), P.Long(version + 1));
            }
            WriteIdempotency(write, tenant, records, found);
            await unit.CommitAsync(write, ct).ConfigureAwait(false);
        }
        if (updated is not null)
        {
            Remember(tenant, version + 1, updated);
        }
        return StoreResult<T>.Done(decision.Result);
    }

    /// <summary>
    /// Writes the changes and returns the catalog they produce (built by <see cref="CatalogStates.Apply"/>, so the cached
    /// copy equals what a reload would read). A rename moves the stored feature to the new id.
    /// </summary>
    private static Catalog WriteCatalog(NpgsqlBatch b, TenantId t, Catalog catalog, CatalogChanges changes)
    {
        var next = CatalogStates.Apply(catalog, changes);
        foreach (var (oldId, newId) in changes.RenameFeatures)
        {
            DeleteFeature(b, t, oldId);
            if (next.Feature(newId) is { } renamed && !changes.UpsertFeatures.Any(f => f.Id == newId))
            {
                UpsertFeature(b, t, renamed);
            }
        }
        foreach (var id in changes.DeleteFeatures)
        {
            DeleteFeature(b, t, id);
        }
        foreach (var f in changes.UpsertFeatures)
        {
            UpsertFeature(b, t, f);
        }
        foreach (var (id, version) in changes.DeletePlans)
        {
            if (version is { } v)
            {
                b.Add("DELETE FROM plans WHERE org_id = $1 AND env = $2 AND plan_id = $3 AND version = $4",
                    P.Org(t), P.Env(t), P.Text(id), P.Int(v));
            }
            else
            {
                b.Add("DELETE FROM plans WHERE org_id = $1 AND env = $2 AND plan_id = $3", P.Org(t), P.Env(t), P.Text(id));
            }
        }
        foreach (var p in changes.UpsertPlans)
        {
            b.Add("""
                INSERT INTO plans (org_id, env, plan_id, version, data) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (org_id, env, plan_id, version) DO UPDATE SET data = excluded.data
                """, P.Org(t), P.Env(t), P.Text(p.Id), P.Int(p.Version), P.Json(RowCodec.Write(p)));
        }
        return next;
    }

    private static void DeleteFeature(NpgsqlBatch b, TenantId t, string id) =>
        b.Add("DELETE FROM features WHERE org_id = $1 AND env = $2 AND feature_id = $3", P.Org(t), P.Env(t), P.Text(id));

    private static void UpsertFeature(NpgsqlBatch b, TenantId t, Feature f) =>
        b.Add("""
            INSERT INTO features (org_id, env, feature_id, data) VALUES ($1, $2, $3, $4)
            ON CONFLICT (org_id, env, feature_id) DO UPDATE SET data = excluded.data
            """, P.Org(t), P.Env(t), P.Text(f.Id), P.Json(RowCodec.Write(f)));
}
