using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Core.Telemetry;

namespace Tally.Storage.Sqlite;

public sealed record SqliteStoreOptions
{
    public required string Path { get; init; }

    /// <summary>How long idempotency records are honoured.</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromDays(30);
}

/// <summary>
/// The embedded store. The server process owns the file: each customer's state is loaded once and kept in
/// memory as the authoritative copy, every mutation runs under that customer's lock and is committed
/// through the group-commit pipeline before its caller is answered.
/// </summary>
public sealed partial class SqliteStore : ITallyStore
{
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<(TenantId, string), Entry> _customers = new();
    private readonly ConcurrentDictionary<TenantId, Catalog> _catalogs = new();
    private readonly ConcurrentDictionary<TenantId, SemaphoreSlim> _catalogLocks = new();
    private readonly ConcurrentDictionary<(TenantId, string), TaskCompletionSource> _inflight = new();
    private CommitPipeline? _pipeline;

    public SqliteStore(SqliteStoreOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        TallyMetrics.ObserveResident(this, static s => ((SqliteStore)s)._customers.Count);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    private CommitPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("Store not initialized");

    public async Task InitializeAsync(CancellationToken ct)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_options.Path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }
        var writer = new SqliteConnection(_connectionString);
        await writer.OpenAsync(ct).ConfigureAwait(false);
        Pragma(writer, "PRAGMA journal_mode=WAL;");
        // Durability is not for sale: FULL fsyncs the WAL on every commit; group commit keeps that affordable.
        Pragma(writer, "PRAGMA synchronous=FULL;");
        Pragma(writer, "PRAGMA busy_timeout=30000;");
        Migrate(writer);
        _pipeline = new CommitPipeline(writer);
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        if (_pipeline is null)
        {
            return false;
        }
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1";
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 1;
    }

    private static void Pragma(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void Migrate(SqliteConnection c)
    {
        Pragma(c, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
        using var get = c.CreateCommand();
        get.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        var current = Convert.ToInt32(get.ExecuteScalar());
        var asm = typeof(SqliteStore).Assembly;
        var scripts = asm.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal) && n.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: int.Parse(n.Split(".Migrations.")[1][..4], System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(x => x.Version);
        foreach (var (name, version) in scripts)
        {
            if (version <= current)
            {
                continue;
            }
            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var sql = reader.ReadToEnd();
            using var tx = c.BeginTransaction();
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = sql;
                cmd.ExecuteNonQuery();
            }
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO schema_version (version) VALUES ($v)";
                cmd.Parameters.AddWithValue("$v", version);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        return c;
    }

    // ---------------------------------------------------------------- catalog

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
        var (replay, claim) = await ClaimAsync<T>(tenant, idempotency, ct).ConfigureAwait(false);
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
                var record = Record(idempotency, decision.Response, decision.Status);
                if (changes is null && record is null)
                {
                    return StoreResult<T>.Done(decision.Result);
                }
                var next = changes is null ? null : ApplyCatalog(catalog, changes);
                // Catalog writes are rare: wait for durability before anyone sees the new catalog.
                await Pipeline.CommitAsync(w =>
                {
                    if (changes is not null)
                    {
                        WriteCatalog(w, tenant, changes, next!);
                    }
                    WriteIdempotency(w, tenant, record);
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
            Release(tenant, idempotency, claim);
        }
    }

    private static Catalog ApplyCatalog(Catalog catalog, CatalogChanges changes)
    {
        var features = catalog.Features.ToDictionary(f => f.Id, StringComparer.Ordinal);
        foreach (var (oldId, newId) in changes.RenameFeatures)
        {
            if (features.Remove(oldId, out var f))
            {
                features[newId] = f with { Id = newId };
            }
        }
        foreach (var id in changes.DeleteFeatures)
        {
            features.Remove(id);
        }
        foreach (var f in changes.UpsertFeatures)
        {
            features[f.Id] = f;
        }
        var plans = catalog.AllPlanVersions.ToDictionary(p => (p.Id, p.Version));
        foreach (var (id, version) in changes.DeletePlans)
        {
            foreach (var key in plans.Keys.Where(k => k.Id == id && (version is null || k.Version == version)).ToList())
            {
                plans.Remove(key);
            }
        }
        foreach (var p in changes.UpsertPlans)
        {
            plans[(p.Id, p.Version)] = p;
        }
        return new Catalog(features.Values, plans.Values);
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

    // ---------------------------------------------------------------- customers

    private sealed class Entry
    {
        /// <summary>Held for the slow, asynchronous part: loading the customer from disk, or renaming it.</summary>
        public readonly SemaphoreSlim Lock = new(1, 1);

        /// <summary>
        /// Held for deciding and applying a unit of work: short, synchronous CPU work, so a monitor serialises a hot
        /// customer without the thread-pool hops an async wait costs under contention.
        /// </summary>
        public readonly object Gate = new();
        public volatile bool Loaded;
        public long Epoch;
        public CustomerState? State;
    }

    public async Task<StoreResult<T>> MutateCustomerAsync<T>(TenantId tenant, string customerId, CustomerWork<T> work,
        IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var (replay, claim) = await ClaimAsync<T>(tenant, idempotency, ct).ConfigureAwait(false);
        if (replay is not null)
        {
            return replay;
        }
        try
        {
            var catalog = await GetCatalogAsync(tenant, ct).ConfigureAwait(false);
            var entry = _customers.GetOrAdd((tenant, customerId), _ => new Entry());
            while (true)
            {
                if (!entry.Loaded || Volatile.Read(ref entry.Epoch) != Pipeline.Epoch)
                {
                    await LoadEntryAsync(entry, tenant, customerId, ct).ConfigureAwait(false);
                }
                Task commit;
                T result;
                lock (entry.Gate)
                {
                    var epoch = Pipeline.Epoch;
                    if (!entry.Loaded || entry.Epoch != epoch)
                    {
                        // A failed commit or a rename got in between: load again.
                        continue;
                    }
                    var wasAbsent = entry.State is null;
                    var decision = work(entry.State, catalog);
                    result = decision.Result;
                    var changes = decision.Changes is { IsEmpty: false } ch ? ch : null;
                    var record = Record(idempotency, decision.Response, decision.Status);
                    if (changes is null && record is null)
                    {
                        return StoreResult<T>.Done(result);
                    }
                    if (changes is not null)
                    {
                        // The in-memory copy moves on now so the next request of this customer can decide
                        // while this one's commit is in flight; a failed commit bumps the epoch and forces a reload.
                        if (changes.DeleteCustomer)
                        {
                            entry.State = null;
                        }
                        else if (changes.CustomerIsNew || entry.State is null)
                        {
                            var created = new CustomerState(changes.Customer ?? throw new InvalidOperationException("A new customer needs its row"));
                            created.Apply(changes);
                            entry.State = created;
                        }
                        else
                        {
                            entry.State.Apply(changes);
                        }
                    }
                    var isNew = changes?.CustomerIsNew == true || (changes?.Customer is not null && wasAbsent);
                    var plan = new WritePlan();
                    if (changes is not null)
                    {
                        WriteCustomer(plan, tenant, customerId, changes, isNew);
                    }
                    WriteIdempotency(plan, tenant, record);
                    commit = Pipeline.CommitAsync(plan.ApplyTo, epoch);
                }
                await commit.ConfigureAwait(false);
                return StoreResult<T>.Done(result);
            }
        }
        finally
        {
            Release(tenant, idempotency, claim);
        }
    }

    private async Task LoadEntryAsync(Entry entry, TenantId tenant, string customerId, CancellationToken ct)
    {
        await entry.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var epoch = Pipeline.Epoch;
            if (entry.Loaded && entry.Epoch == epoch)
            {
                return;
            }
            var state = await LoadCustomerAsync(tenant, customerId, ct).ConfigureAwait(false);
            lock (entry.Gate)
            {
                entry.State = state;
                entry.Epoch = epoch;
                entry.Loaded = true;
            }
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    public async Task<RenameOutcome> RenameCustomerAsync(TenantId tenant, string customerId, string newCustomerId, CancellationToken ct)
    {
        if (customerId == newCustomerId)
        {
            var same = await MutateCustomerAsync(tenant, customerId, (state, _) => new Decision<bool>(state is not null), null, ct)
                .ConfigureAwait(false);
            return same.Result ? RenameOutcome.Renamed : RenameOutcome.NotFound;
        }
        var a = _customers.GetOrAdd((tenant, customerId), _ => new Entry());
        var b = _customers.GetOrAdd((tenant, newCustomerId), _ => new Entry());
        var (first, second) = string.CompareOrdinal(customerId, newCustomerId) < 0 ? (a, b) : (b, a);
        await first.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await second.Lock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var epoch = Pipeline.Epoch;
                foreach (var (e, id) in new[] { (a, customerId), (b, newCustomerId) })
                {
                    if (!e.Loaded || e.Epoch != epoch)
                    {
                        var state = await LoadCustomerAsync(tenant, id, ct).ConfigureAwait(false);
                        lock (e.Gate)
                        {
                            e.State = state;
                            e.Epoch = epoch;
                            e.Loaded = true;
                        }
                    }
                }
                if (a.State is null)
                {
                    return RenameOutcome.NotFound;
                }
                if (b.State is not null)
                {
                    return RenameOutcome.TargetExists;
                }
                var renamed = RowCodec.Write(a.State.Customer with { Id = newCustomerId });
                // From here on, requests for either id wait on the semaphores we hold and then reload from disk:
                // nothing may decide on the old rows while the cascade moves them.
                lock (a.Gate)
                {
                    a.Loaded = false;
                }
                lock (b.Gate)
                {
                    b.Loaded = false;
                }
                await Pipeline.CommitAsync(w =>
                {
                    // Rows of the old id that wait for the end of the batch must exist before the cascade moves them.
                    w.FlushDeferred();
                    w.Exec("UPDATE customers SET customer_id = $3, data = $4 WHERE org_id = $0 AND env = $1 AND customer_id = $2",
                        tenant.OrgId, RowCodec.EnvName(tenant.Env), customerId, newCustomerId, renamed);
                }, epoch).ConfigureAwait(false);
                return RenameOutcome.Renamed;
            }
            finally
            {
                second.Lock.Release();
            }
        }
        finally
        {
            first.Lock.Release();
        }
    }

    private async Task<CustomerState?> LoadCustomerAsync(TenantId t, string customerId, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var tx = c.BeginTransaction(deferred: true);
        Customer? customer = null;
        long nextSeq = 1;
        using (var cmd = Scoped(c, "SELECT data, next_seq FROM customers WHERE org_id = $o AND env = $e AND customer_id = $c", t, customerId))
        using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                customer = RowCodec.Read<Customer>(r.GetString(0));
                nextSeq = r.GetInt64(1);
            }
        }
        if (customer is null)
        {
            return null;
        }
        var state = new CustomerState(customer);
        state.Load(
            await ReadRows<Entity>(c, "SELECT data FROM entities WHERE org_id = $o AND env = $e AND customer_id = $c", t, customerId, ct).ConfigureAwait(false),
            await ReadSources(c, t, customerId, ct).ConfigureAwait(false),
            await ReadRows<RolloverBucket>(c, "SELECT data FROM rollovers WHERE org_id = $o AND env = $e AND customer_id = $c", t, customerId, ct).ConfigureAwait(false),
            await ReadRows<CustomerPlan>(c, "SELECT data FROM customer_plans WHERE org_id = $o AND env = $e AND customer_id = $c", t, customerId, ct).ConfigureAwait(false),
            await ReadRows<BalanceLock>(c, "SELECT data FROM locks WHERE org_id = $o AND env = $e AND customer_id = $c", t, customerId, ct).ConfigureAwait(false),
            nextSeq);
        return state;
    }

    private static async Task<List<BalanceSource>> ReadSources(SqliteConnection c, TenantId t, string customerId, CancellationToken ct)
    {
        var list = new List<BalanceSource>();
        using var cmd = Scoped(c, "SELECT data, balance FROM balance_sources WHERE org_id = $o AND env = $e AND customer_id = $c", t, customerId);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(RowCodec.Read<BalanceSource>(r.GetString(0)) with { Balance = RowCodec.Dec(r.GetString(1)) });
        }
        return list;
    }

    private static async Task<List<T>> ReadRows<T>(SqliteConnection c, string sql, TenantId t, string customerId, CancellationToken ct)
    {
        var list = new List<T>();
        using var cmd = Scoped(c, sql, t, customerId);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(RowCodec.Read<T>(r.GetString(0)));
        }
        return list;
    }

    private const string NextCounterSql = """
        INSERT INTO counters (org_id, env, name, value) VALUES ($0, $1, $2, 1)
        ON CONFLICT (org_id, env, name) DO UPDATE SET value = value + 1
        """;

    private const string UpdateBalanceSql =
        "UPDATE balance_sources SET balance = $4 WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND source_id = $3";

    private const string UpsertSourceSql = """
        INSERT INTO balance_sources (org_id, env, customer_id, source_id, feature_id, entity_id, balance, next_reset_at, expires_at, data)
        VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (org_id, env, customer_id, source_id) DO UPDATE SET
            feature_id = excluded.feature_id, entity_id = excluded.entity_id, balance = excluded.balance,
            next_reset_at = excluded.next_reset_at, expires_at = excluded.expires_at, data = excluded.data
        """;

    private const string UpsertRolloverSql = """
        INSERT INTO rollovers (org_id, env, customer_id, rollover_id, source_id, data) VALUES ($0, $1, $2, $3, $4, $5)
        ON CONFLICT (org_id, env, customer_id, rollover_id) DO UPDATE SET data = excluded.data
        """;

    private static void WriteCustomer(ISqlSink w, TenantId t, string customerId, CustomerChanges c, bool isNew)
    {
        var o = t.OrgId;
        var env = RowCodec.EnvName(t.Env);
        // A track only rewrites balance rows and appends events: those rows can wait for the end of the batch,
        // where only the last version of each is written. Anything structural first flushes what waits.
        var balanceOnly = c.Customer is null && !c.DeleteCustomer && c.UpsertEntities.Count == 0 && c.DeleteEntities.Count == 0
            && c.UpsertPlans.Count == 0 && c.DeletePlans.Count == 0 && c.DeleteSources.Count == 0 && c.DeleteRollovers.Count == 0
            && c.UpsertLocks.Count == 0 && c.DeleteLocks.Count == 0;
        if (!balanceOnly)
        {
            w.FlushDeferred();
        }
        if (c.DeleteCustomer)
        {
            w.Exec("DELETE FROM customers WHERE org_id = $0 AND env = $1 AND customer_id = $2", o, env, customerId);
            return;
        }
        if (c.Customer is { } cust)
        {
            if (isNew)
            {
                w.Exec(NextCounterSql, o, env, "customers");
                w.Exec("""
                    INSERT INTO customers (org_id, env, customer_id, seq, next_seq, name, email, data)
                    VALUES ($0, $1, $2, (SELECT value FROM counters WHERE org_id = $0 AND env = $1 AND name = 'customers'), $3, $4, $5, $6)
                    """, o, env, customerId, c.NextSeq, cust.Name, cust.Email, RowCodec.Write(cust));
            }
            else
            {
                w.Exec("UPDATE customers SET next_seq = MAX(next_seq, $3), name = $4, email = $5, data = $6 WHERE org_id = $0 AND env = $1 AND customer_id = $2",
                    o, env, customerId, c.NextSeq, cust.Name, cust.Email, RowCodec.Write(cust));
            }
        }
        else if (c.SeqAdvanced)
        {
            w.Exec("UPDATE customers SET next_seq = MAX(next_seq, $3) WHERE org_id = $0 AND env = $1 AND customer_id = $2", o, env, customerId, c.NextSeq);
        }
        foreach (var e in c.UpsertEntities)
        {
            w.Exec(NextCounterSql, o, env, "entities");
            w.Exec("""
                INSERT INTO entities (org_id, env, customer_id, entity_id, seq, data)
                VALUES ($0, $1, $2, $3, (SELECT value FROM counters WHERE org_id = $0 AND env = $1 AND name = 'entities'), $4)
                ON CONFLICT (org_id, env, customer_id, entity_id) DO UPDATE SET data = excluded.data
                """, o, env, customerId, e.Id, RowCodec.Write(e));
        }
        foreach (var id in c.DeleteEntities)
        {
            w.Exec("DELETE FROM entities WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND entity_id = $3", o, env, customerId, id);
        }
        foreach (var p in c.UpsertPlans)
        {
            w.Exec("""
                INSERT INTO customer_plans (org_id, env, customer_id, id, data) VALUES ($0, $1, $2, $3, $4)
                ON CONFLICT (org_id, env, customer_id, id) DO UPDATE SET data = excluded.data
                """, o, env, customerId, p.Id, RowCodec.Write(p));
        }
        foreach (var id in c.DeletePlans)
        {
            w.Exec("DELETE FROM customer_plans WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND id = $3", o, env, customerId, id);
        }
        foreach (var s in c.UpsertSources)
        {
            var key = $"s\u0001{o}\u0001{env}\u0001{customerId}\u0001{s.Id}";
            var source = s;
            (string, object?[]) Full() => (UpsertSourceSql, [o, env, customerId, source.Id, source.FeatureId, source.EntityId,
                RowCodec.Dec(source.Balance), RowCodec.Ms(source.NextResetAt), RowCodec.Ms(source.ExpiresAt), RowCodec.Write(source)]);
            if (c.BalanceOnlySources.Contains(s.Id))
            {
                // The balance column is authoritative on load, so a balance-only change skips re-encoding the row;
                // if a full row of the same source waits in this batch, this one becomes the full row.
                w.Defer(UpdateBalanceSql, key, [o, env, customerId, s.Id, RowCodec.Dec(s.Balance)], Full);
                continue;
            }
            var (fullSql, fullArgs) = Full();
            w.Defer(fullSql, key, fullArgs);
        }
        foreach (var r in c.UpsertRollovers)
        {
            w.Defer(UpsertRolloverSql, $"r\u0001{o}\u0001{env}\u0001{customerId}\u0001{r.Id}", [o, env, customerId, r.Id, r.SourceId, RowCodec.Write(r)]);
        }
        foreach (var id in c.DeleteSources)
        {
            w.Exec("DELETE FROM rollovers WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND source_id = $3", o, env, customerId, id);
            w.Exec("DELETE FROM balance_sources WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND source_id = $3", o, env, customerId, id);
        }
        foreach (var id in c.DeleteRollovers)
        {
            w.Exec("DELETE FROM rollovers WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND rollover_id = $3", o, env, customerId, id);
        }
        foreach (var l in c.UpsertLocks)
        {
            w.Exec("""
                INSERT INTO locks (org_id, env, customer_id, lock_id, expires_at, data) VALUES ($0, $1, $2, $3, $4, $5)
                ON CONFLICT (org_id, env, customer_id, lock_id) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data
                """, o, env, customerId, l.Id, RowCodec.Ms(l.ExpiresAt), RowCodec.Write(l));
        }
        foreach (var id in c.DeleteLocks)
        {
            w.Exec("DELETE FROM locks WHERE org_id = $0 AND env = $1 AND customer_id = $2 AND lock_id = $3", o, env, customerId, id);
        }
        TallyMetrics.EventsIngested(c.Events.Count);
        foreach (var e in c.Events)
        {
            w.Exec("""
                INSERT INTO events (org_id, env, customer_id, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key, deltas)
                VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """, o, env, customerId, e.Id, e.Kind.ToString(), e.EntityId, e.EventName, RowCodec.Dec(e.Value), e.PropertiesJson,
                RowCodec.Ms(e.Timestamp), e.IdempotencyKey, RowCodec.Write(e.Deltas));
        }
    }

    // ---------------------------------------------------------------- idempotency

    private IdempotencyRecord? Record(IdempotencyRequest? req, byte[]? body, int status) =>
        req is null || body is null ? null : new IdempotencyRecord(req.ScopedKey, req.RequestHash, status, body, _time.GetUtcNow());

    private static void WriteIdempotency(ISqlSink w, TenantId t, IdempotencyRecord? r)
    {
        if (r is null)
        {
            return;
        }
        w.Exec("""
            INSERT INTO idempotency (org_id, env, scoped_key, request_hash, status, body, created_at) VALUES ($0, $1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, env, scoped_key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
                body = excluded.body, created_at = excluded.created_at
            """, t.OrgId, RowCodec.EnvName(t.Env), r.ScopedKey, r.RequestHash, r.Status, r.Body, RowCodec.Ms(r.CreatedAt));
    }

    /// <summary>
    /// Claims an idempotency key for this process, or answers with the stored result. A concurrent request
    /// with the same key waits for the first one to finish and then replays its answer.
    /// </summary>
    private async Task<(StoreResult<T>? Replay, TaskCompletionSource? Claim)> ClaimAsync<T>(TenantId tenant, IdempotencyRequest? req,
        CancellationToken ct)
    {
        if (req is null)
        {
            return (null, null);
        }
        var key = (tenant, req.ScopedKey);
        while (true)
        {
            if (_inflight.TryGetValue(key, out var running))
            {
                await running.Task.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            if (await LoadIdempotencyAsync(tenant, req.ScopedKey, ct).ConfigureAwait(false) is { } found)
            {
                return (Answer<T>(req, found), null);
            }
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inflight.TryAdd(key, mine))
            {
                continue;
            }
            // The previous holder may have committed and left between our read and our claim.
            if (await LoadIdempotencyAsync(tenant, req.ScopedKey, ct).ConfigureAwait(false) is { } late)
            {
                _inflight.TryRemove(key, out _);
                mine.TrySetResult();
                return (Answer<T>(req, late), null);
            }
            return (null, mine);
        }
    }

    private static StoreResult<T> Answer<T>(IdempotencyRequest req, IdempotencyRecord found) =>
        found.RequestHash == req.RequestHash
            ? new StoreResult<T>(StoreOutcome.Replayed, default, found)
            : new StoreResult<T>(StoreOutcome.KeyConflict, default, found);

    private void Release(TenantId tenant, IdempotencyRequest? req, TaskCompletionSource? claim)
    {
        if (req is null || claim is null)
        {
            return;
        }
        _inflight.TryRemove((tenant, req.ScopedKey), out _);
        claim.TrySetResult();
    }

    private async Task<IdempotencyRecord?> LoadIdempotencyAsync(TenantId t, string scopedKey, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = Tenant(c, "SELECT request_hash, status, body, created_at FROM idempotency WHERE org_id = $o AND env = $e AND scoped_key = $k", t);
        cmd.Parameters.AddWithValue("$k", scopedKey);
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }
        var created = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3));
        if (created < _time.GetUtcNow() - _options.IdempotencyRetention)
        {
            return null;
        }
        return new IdempotencyRecord(scopedKey, r.GetString(0), r.GetInt32(1), (byte[])r.GetValue(2), created);
    }

    public async Task<int> PruneIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        var count = 0;
        await Pipeline.CommitAsync(w => count = w.Exec("DELETE FROM idempotency WHERE created_at < $0", RowCodec.Ms(olderThan)), Pipeline.Epoch)
            .ConfigureAwait(false);
        return count;
    }

    // ---------------------------------------------------------------- queries

    public async Task<IReadOnlyList<(string CustomerId, long Seq)>> ListCustomersAsync(TenantId tenant, long afterSeq, int limit, string? search,
        CancellationToken ct, bool newestFirst = false)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var sql = "SELECT customer_id, seq FROM customers WHERE org_id = $o AND env = $e"
            + (newestFirst ? (afterSeq > 0 ? " AND seq < $after" : "") : " AND seq > $after")
            + (search is null ? "" : " AND (customer_id LIKE $s ESCAPE '\\' OR name LIKE $s ESCAPE '\\' OR email LIKE $s ESCAPE '\\')")
            + (newestFirst ? " ORDER BY seq DESC" : " ORDER BY seq") + " LIMIT $limit";
        using var cmd = Tenant(c, sql, tenant);
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$limit", limit);
        if (search is not null)
        {
            cmd.Parameters.AddWithValue("$s", "%" + search.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%");
        }
        var list = new List<(string, long)>();
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((r.GetString(0), r.GetInt64(1)));
        }
        return list;
    }

    public async Task<IReadOnlyList<(string CustomerId, string EntityId, long Seq)>> ListEntitiesAsync(TenantId tenant, string? customerId,
        long afterSeq, int limit, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var sql = "SELECT customer_id, entity_id, seq FROM entities WHERE org_id = $o AND env = $e AND seq > $after"
            + (customerId is null ? "" : " AND customer_id = $c") + " ORDER BY seq LIMIT $limit";
        using var cmd = Tenant(c, sql, tenant);
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$limit", limit);
        if (customerId is not null)
        {
            cmd.Parameters.AddWithValue("$c", customerId);
        }
        var list = new List<(string, string, long)>();
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }
        return list;
    }

    public async Task<IReadOnlyList<string>> FindEntityOwnersAsync(TenantId tenant, string entityId, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = Tenant(c, "SELECT customer_id FROM entities WHERE org_id = $o AND env = $e AND entity_id = $id ORDER BY seq", tenant);
        cmd.Parameters.AddWithValue("$id", entityId);
        var list = new List<string>();
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(r.GetString(0));
        }
        return list;
    }

    public async Task<IReadOnlyList<LedgerEvent>> ListEventsAsync(TenantId tenant, EventQuery q, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var sql = new System.Text.StringBuilder("""
            SELECT seq, customer_id, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key, deltas
            FROM events WHERE org_id = $o AND env = $e AND kind = 'Track'
            """);
        using var cmd = Tenant(c, "", tenant);
        if (q.CustomerId is not null)
        {
            sql.Append(" AND customer_id = $c");
            cmd.Parameters.AddWithValue("$c", q.CustomerId);
        }
        if (q.EntityId is not null)
        {
            sql.Append(" AND entity_id = $ent");
            cmd.Parameters.AddWithValue("$ent", q.EntityId);
        }
        if (q.EventNames is { Count: > 0 } names)
        {
            sql.Append(" AND event_name IN (").Append(string.Join(", ", names.Select((_, i) => "$n" + i))).Append(')');
            for (var i = 0; i < names.Count; i++)
            {
                cmd.Parameters.AddWithValue("$n" + i, names[i]);
            }
        }
        if (q.From is { } from)
        {
            sql.Append(" AND timestamp >= $from");
            cmd.Parameters.AddWithValue("$from", RowCodec.Ms(from));
        }
        if (q.To is { } to)
        {
            sql.Append(" AND timestamp <= $to");
            cmd.Parameters.AddWithValue("$to", RowCodec.Ms(to));
        }
        if (q.BeforeSeq is { } before)
        {
            sql.Append(" AND seq < $before");
            cmd.Parameters.AddWithValue("$before", before);
        }
        sql.Append(" ORDER BY seq DESC LIMIT $limit");
        cmd.Parameters.AddWithValue("$limit", q.Limit);
        cmd.CommandText = sql.ToString();
        var list = new List<LedgerEvent>();
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new LedgerEvent
            {
                Seq = r.GetInt64(0),
                CustomerId = r.GetString(1),
                Id = r.GetString(2),
                Kind = Enum.Parse<LedgerKind>(r.GetString(3)),
                EntityId = r.IsDBNull(4) ? null : r.GetString(4),
                EventName = r.GetString(5),
                Value = RowCodec.Dec(r.GetString(6)),
                PropertiesJson = r.GetString(7),
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
                IdempotencyKey = r.IsDBNull(9) ? null : r.GetString(9),
                Deltas = RowCodec.Read<List<SourceDelta>>(r.GetString(10)),
            });
        }
        return list;
    }

    public async Task<string?> FindLockOwnerAsync(TenantId tenant, string lockId, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = Tenant(c, "SELECT customer_id FROM locks WHERE org_id = $o AND env = $e AND lock_id = $l LIMIT 1", tenant);
        cmd.Parameters.AddWithValue("$l", lockId);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    public async Task<bool> IsPlanAttachedAsync(TenantId tenant, string planId, int version, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = Tenant(c, """
            SELECT EXISTS (SELECT 1 FROM customer_plans WHERE org_id = $o AND env = $e
                AND json_extract(data, '$.plan_id') = $p AND CAST(json_extract(data, '$.plan_version') AS INTEGER) = $v)
            """, tenant);
        cmd.Parameters.AddWithValue("$p", planId);
        cmd.Parameters.AddWithValue("$v", version);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 1;
    }

    public async Task<bool> IsFeatureHeldAsync(TenantId tenant, string featureId, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = Tenant(c, "SELECT EXISTS (SELECT 1 FROM balance_sources WHERE org_id = $o AND env = $e AND feature_id = $f)", tenant);
        cmd.Parameters.AddWithValue("$f", featureId);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 1;
    }

    public async Task<IReadOnlyList<(TenantId Tenant, string CustomerId)>> FindDueCustomersAsync(DateTimeOffset dueBy, int limit,
        CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT org_id, env, customer_id FROM balance_sources WHERE next_reset_at IS NOT NULL AND next_reset_at <= $due
            UNION
            SELECT org_id, env, customer_id FROM locks WHERE expires_at IS NOT NULL AND expires_at <= $due
            LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$due", RowCodec.Ms(dueBy));
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<(TenantId, string)>();
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((new TenantId(r.GetString(0), RowCodec.ParseEnv(r.GetString(1))), r.GetString(2)));
        }
        return list;
    }

    private static SqliteCommand Tenant(SqliteConnection c, string sql, TenantId t)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$o", t.OrgId);
        cmd.Parameters.AddWithValue("$e", RowCodec.EnvName(t.Env));
        return cmd;
    }

    private static SqliteCommand Scoped(SqliteConnection c, string sql, TenantId t, string customerId)
    {
        var cmd = Tenant(c, sql, t);
        cmd.Parameters.AddWithValue("$c", customerId);
        return cmd;
    }

    public async ValueTask DisposeAsync()
    {
        if (_pipeline is not null)
        {
            await _pipeline.DisposeAsync().ConfigureAwait(false);
        }
        // Only this store's pool: other SQLite users in the process keep theirs.
        using var probe = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(probe);
    }
}
