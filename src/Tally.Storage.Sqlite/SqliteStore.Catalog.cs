using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public async ValueTask<Catalog> GetCatalogAsync(TenantId tenant, CancellationToken ct)
    {
        if (_catalogs.TryGetValue(tenant, out var cached))
        {
            return cached;
        }
        var gate = _catalogLocks.GetOrAdd(tenant, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_catalogs.TryGetValue(tenant, out cached))
            {
                return cached;
            }
            var loaded = await LoadCatalogAsync(tenant, ct).ConfigureAwait(false);
            _catalogs[tenant] = loaded;
            return loaded;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<Catalog> LoadCatalogAsync(TenantId tenant, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var features = new List<Feature>();
        var plans = new List<Plan>();
        using (var cmd = Tenant(c, "SELECT data FROM features WHERE org_id = $o AND env = $e", tenant))
        using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                features.Add(RowCodec.Read<Feature>(r.GetString(0)));
            }
        }
        using (var cmd = Tenant(c, "SELECT data FROM plans WHERE org_id = $o AND env = $e", tenant))
        using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                plans.Add(RowCodec.Read<Plan>(r.GetString(0)));
            }
        }
        return new Catalog(features, plans);
    }

    public async Task<StoreResult<T>> MutateCatalogAsync<T>(TenantId tenant, CatalogWork<T> work, IdempotencyRequest? idempotency,
        CancellationToken ct)
    {
        var (replay, claim) = idempotency is null ? default : await ClaimAsync<T>(tenant, idempotency, ct).ConfigureAwait(false);
        if (replay is not null)
        {
            return replay;
        }
        try
        {
            var catalog = await GetCatalogAsync(tenant, ct).ConfigureAwait(false);
            var gate = _catalogLocks.GetOrAdd(tenant, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                catalog = _catalogs.TryGetValue(tenant, out var fresh) ? fresh : catalog;
                var decision = work(catalog);
                var changes = decision.Changes is { IsEmpty: false } ch ? ch : null;
                var records = Idempotency.Records(idempotency, decision.Response, decision.Status, _time.GetUtcNow());
                if (changes is null && records.Count == 0)
                {
                    return StoreResult<T>.Done(decision.Result);
                }
                var next = changes is null ? null : CatalogStates.Apply(catalog, changes);
                // Catalog writes are rare: wait for durability before anyone sees the new catalog.
                await Pipeline.CommitAsync(w =>
                {
                    if (changes is not null)
                    {
                        WriteCatalog(w, tenant, changes, next!);
                    }
                    WriteIdempotency(w, tenant, records);
                }, Pipeline.Epoch).ConfigureAwait(false);
                if (next is not null)
                {
                    _catalogs[tenant] = next;
                }
                return StoreResult<T>.Done(decision.Result);
            }
            finally
            {
                gate.Release();
            }
        }
        finally
        {
            claim?.Dispose();
        }
    }

    private static void WriteCatalog(SqlWriter w, TenantId t, CatalogChanges changes, Catalog next)
    {
        var env = RowCodec.EnvName(t.Env);
        foreach (var (oldId, newId) in changes.RenameFeatures)
        {
            w.Exec("DELETE FROM features WHERE org_id = $0 AND env = $1 AND feature_id = $2", t.OrgId, env, oldId);
            if (next.Feature(newId) is { } renamed && !changes.UpsertFeatures.Any(f => f.Id == newId))
            {
                w.Exec("""
                    INSERT INTO features (org_id, env, feature_id, data) VALUES ($0, $1, $2, $3)
                    ON CONFLICT (org_id, env, feature_id) DO UPDATE SET data = excluded.data
                    """, t.OrgId, env, newId, RowCodec.Write(renamed));
            }
        }
        foreach (var id in changes.DeleteFeatures)
        {
            w.Exec("DELETE FROM features WHERE org_id = $0 AND env = $1 AND feature_id = $2", t.OrgId, env, id);
        }
        foreach (var f in changes.UpsertFeatures)
        {
            w.Exec("""
                INSERT INTO features (org_id, env, feature_id, data) VALUES ($0, $1, $2, $3)
                ON CONFLICT (org_id, env, feature_id) DO UPDATE SET data = excluded.data
                """, t.OrgId, env, f.Id, RowCodec.Write(f));
        }
        foreach (var (id, version) in changes.DeletePlans)
        {
            if (version is { } v)
            {
                w.Exec("DELETE FROM plans WHERE org_id = $0 AND env = $1 AND plan_id = $2 AND version = $3", t.OrgId, env, id, v);
            }
            else
            {
                w.Exec("DELETE FROM plans WHERE org_id = $0 AND env = $1 AND plan_id = $2", t.OrgId, env, id);
            }
        }
        foreach (var p in changes.UpsertPlans)
        {
            w.Exec("""
                INSERT INTO plans (org_id, env, plan_id, version, data) VALUES ($0, $1, $2, $3, $4)
                ON CONFLICT (org_id, env, plan_id, version) DO UPDATE SET data = excluded.data
                """, t.OrgId, env, p.Id, p.Version, RowCodec.Write(p));
        }
    }
}
