using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>Every table that holds rows of one customer, with its columns after (org_id, env, customer_id).</summary>
    private static readonly (string Table, string Columns)[] CustomerTables =
    [
        ("customers", "seq, next_seq, name, email, data"),
        ("entities", "entity_id, seq, data"),
        ("customer_plans", "id, data"),
        ("balance_sources", "source_id, feature_id, entity_id, balance, next_reset_at, expires_at, data"),
        ("rollovers", "rollover_id, source_id, data"),
        ("locks", "lock_id, expires_at, data"),
        ("events", "seq, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key, deltas"),
    ];

    private const string Scope = "org_id = $1 AND env = $2 AND customer_id = $3";

    public async Task<StoreResult<T>> MutateCustomerAsync<T>(TenantId tenant, string customerId, CustomerWork<T> work,
        IdempotencyRequest? idempotency, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var claim = await _claims.ClaimAsync(tenant, idempotency, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var pending = new Pending<T>(work, idempotency);
        var queue = _queues.GetOrAdd((tenant, customerId), _ => new CustomerQueue());
        bool start;
        lock (queue)
        {
            queue.Items.Add(pending);
            start = !queue.Running;
            queue.Running = true;
        }
        if (start)
        {
            _ = Task.Run(() => DrainAsync(queue, tenant, customerId));
        }
        // Not cancellable once queued: the unit may already be committing, and its caller must learn the outcome.
        return await pending.Done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a customer's queued units, up to <see cref="MaxUnitsPerTransaction"/> per transaction, until none are
    /// left. Units that arrive while a transaction is open wait for the next one: under load a customer's units
    /// share one lock acquisition, one load and one commit instead of queueing one transaction each on its lock.
    /// </summary>
    private async Task DrainAsync(CustomerQueue queue, TenantId tenant, string customerId)
    {
        while (true)
        {
            List<Pending> units;
            lock (queue)
            {
                if (queue.Items.Count == 0)
                {
                    queue.Running = false;
                    _queues.TryRemove(new KeyValuePair<(TenantId, string), CustomerQueue>((tenant, customerId), queue));
                    return;
                }
                var n = Math.Min(queue.Items.Count, MaxUnitsPerTransaction);
                units = queue.Items.GetRange(0, n);
                queue.Items.RemoveRange(0, n);
            }
            try
            {
                await RetryAsync(() => MutateCustomerOnceAsync(tenant, customerId, units), CancellationToken.None).ConfigureAwait(false);
                foreach (var unit in units)
                {
                    unit.Finish();
                }
            }
            catch (Exception refused) when (units.Count > 1 && refused is PostgresException or NothingCommittedException)
            {
                // The server refused the transaction, so nothing of it was committed, and one unit's rows may be
                // what it refused: the others must not share its fate. (A lost connection is not retried this way:
                // the commit may have happened.)
                foreach (var unit in units)
                {
                    try
                    {
                        await RetryAsync(() => MutateCustomerOnceAsync(tenant, customerId, [unit]), CancellationToken.None).ConfigureAwait(false);
                        unit.Finish();
                    }
                    catch (Exception e)
                    {
                        unit.Fail(e);
                    }
                }
            }
            catch (Exception e)
            {
                foreach (var unit in units)
                {
                    unit.Fail(e);
                }
            }
        }
    }

    /// <summary>
    /// Round trip 1: BEGIN, the idempotency locks and lookups (in lock-key order, so two nodes never wait on each
    /// other's keys), the customer's advisory lock and row lock, its rows and the catalog version (statements run
    /// in order, so every read sees what the previous lock holder committed). Then each unit decides, in arrival
    /// order, on the state the one before it left. Round trip 2: every unit's writes, ledger rows and idempotency
    /// record, and COMMIT. Nobody is answered before the commit.
    /// </summary>
    private async Task<bool> MutateCustomerOnceAsync(TenantId tenant, string customerId, IReadOnlyList<Pending> units)
    {
        var ct = CancellationToken.None;
        var now = _time.GetUtcNow();
        var cached = _catalogs.GetValueOrDefault(tenant);
        var keyed = units.Where(u => u.Idempotency is not null)
            .OrderBy(u => LockKeys.Idempotency(tenant, u.Idempotency!.ScopedKey)).ToList();
        await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
        var found = new Dictionary<Pending, IdempotencyRecord>();
        CustomerState? state;
        Catalog catalog;
        await using (var batch = unit.Begin())
        {
            foreach (var u in keyed)
            {
                AddIdempotencyLookup(batch, tenant, u.Idempotency);
            }
            AddCustomerLock(batch, tenant, customerId);
            AddCustomerLoad(batch, tenant, customerId);
            AddCatalogLoad(batch, tenant, cached);
            await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var results = new ResultCursor(r);
            foreach (var u in keyed)
            {
                if (await ReadIdempotencyAsync(results, u.Idempotency, ct).ConfigureAwait(false) is { } record)
                {
                    found[u] = record;
                }
            }
            await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
            state = await ReadCustomerAsync(results, ct).ConfigureAwait(false);
            catalog = await ReadCatalogAsync(results, tenant, cached, ct).ConfigureAwait(false);
        }
        await using var write = unit.Batch();
        foreach (var u in units)
        {
            var earlier = found.GetValueOrDefault(u);
            if (earlier is not null && IsLive(earlier, now))
            {
                u.Replay(earlier);
                continue;
            }
            if (!u.Decide(state, catalog, out var changes, out var response, out var status))
            {
                continue; // the unit threw; it alone fails, and nothing of it is written
            }
            var record = Record(u.Idempotency, response, status, now);
            try
            {
                if (changes is not null)
                {
                    WriteCustomer(write, tenant, customerId, state, changes);
                    state = Advance(state, changes);
                }
            }
            catch (Exception e) when (units.Count > 1)
            {
                // Half of this unit's statements may be in the batch: send none of it, and let each unit run alone.
                throw new NothingCommittedException(e);
            }
            WriteIdempotency(write, tenant, record, earlier);
        }
        if (write.BatchCommands.Count == 0)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return true;
        }
        await unit.CommitAsync(write, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>The state the next unit of the same transaction decides on (as the SQLite store moves its copy).</summary>
    private static CustomerState? Advance(CustomerState? state, CustomerChanges changes)
    {
        if (changes.DeleteCustomer)
        {
            return null;
        }
        if (changes.CustomerIsNew || state is null)
        {
            var created = new CustomerState(changes.Customer ?? throw new InvalidOperationException("A new customer needs its row"));
            created.Apply(changes);
            return created;
        }
        state.Apply(changes);
        return state;
    }

    private const int MaxUnitsPerTransaction = 64;

    /// <summary>A shared transaction was abandoned before anything was sent for commit.</summary>
    private sealed class NothingCommittedException(Exception inner) : Exception("A batched transaction was abandoned before its commit", inner);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, string), CustomerQueue> _queues = new();

    private sealed class CustomerQueue
    {
        public List<Pending> Items { get; } = [];

        public bool Running { get; set; }
    }

    /// <summary>One caller's unit of work, waiting for the transaction that carries it.</summary>
    private abstract class Pending(IdempotencyRequest? idempotency)
    {
        public IdempotencyRequest? Idempotency { get; } = idempotency;

        /// <summary>Runs the work; false when it threw (the exception is kept for the caller).</summary>
        public abstract bool Decide(CustomerState? state, Catalog catalog, out CustomerChanges? changes, out byte[]? response, out int status);

        public abstract void Replay(IdempotencyRecord earlier);

        /// <summary>Answers the caller with the outcome of the last attempt (called after its commit).</summary>
        public abstract void Finish();

        public abstract void Fail(Exception e);
    }

    private sealed class Pending<T>(CustomerWork<T> work, IdempotencyRequest? idempotency) : Pending(idempotency)
    {
        private StoreResult<T>? _result;
        private Exception? _error;

        public TaskCompletionSource<StoreResult<T>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool Decide(CustomerState? state, Catalog catalog, out CustomerChanges? changes, out byte[]? response, out int status)
        {
            try
            {
                var decision = work(state, catalog);
                changes = decision.Changes is { IsEmpty: false } c ? c : null;
                response = decision.Response;
                status = decision.Status;
                _result = StoreResult<T>.Done(decision.Result);
                _error = null;
                return true;
            }
            catch (Exception e)
            {
                (changes, response, status, _result, _error) = (null, null, 0, null, e);
                return false;
            }
        }

        public override void Replay(IdempotencyRecord earlier)
        {
            _result = Answer<T>(Idempotency!, earlier);
            _error = null;
        }

        public override void Finish()
        {
            if (_error is not null)
            {
                Done.TrySetException(_error);
            }
            else
            {
                Done.TrySetResult(_result ?? throw new InvalidOperationException("A unit finished without deciding"));
            }
        }

        public override void Fail(Exception e) => Done.TrySetException(e);
    }

    /// <summary>
    /// The advisory lock serialises everything about this customer id, including its creation when no row exists
    /// yet; the row lock taken by <see cref="AddCustomerLoad"/> is what still holds where advisory locks are not
    /// global (several Citus coordinators), with the primary key catching a concurrent creation.
    /// </summary>
    private static void AddCustomerLock(NpgsqlBatch batch, TenantId t, string customerId) =>
        batch.Add("SELECT pg_advisory_xact_lock($1)", P.Long(LockKeys.Customer(t, customerId)));

    private static void AddCustomerLoad(NpgsqlBatch batch, TenantId t, string customerId)
    {
        batch.AddScoped($"SELECT data::text, next_seq FROM customers WHERE {Scope} FOR UPDATE", t, customerId);
        // The child rows in one statement (statements, not rows, are what a small transaction pays for), in the
        // order the state loads them: by table, then by id.
        batch.AddScoped($"""
            SELECT 1 AS k, entity_id AS id, data::text FROM entities WHERE {Scope}
            UNION ALL SELECT 2, source_id, data::text FROM balance_sources WHERE {Scope}
            UNION ALL SELECT 3, rollover_id, data::text FROM rollovers WHERE {Scope}
            UNION ALL SELECT 4, id, data::text FROM customer_plans WHERE {Scope}
            UNION ALL SELECT 5, lock_id, data::text FROM locks WHERE {Scope}
            ORDER BY k, id
            """, t, customerId);
    }

    private static async Task<CustomerState?> ReadCustomerAsync(ResultCursor results, CancellationToken ct)
    {
        var r = await results.NextAsync(ct).ConfigureAwait(false);
        Customer? customer = null;
        long nextSeq = 1;
        if (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            customer = RowCodec.Read<Customer>(r.GetString(0));
            nextSeq = r.GetInt64(1);
        }
        var entities = new List<Entity>();
        var sources = new List<BalanceSource>();
        var rollovers = new List<RolloverBucket>();
        var plans = new List<CustomerPlan>();
        var locks = new List<BalanceLock>();
        r = await results.NextAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var json = r.GetString(2);
            switch (r.GetInt32(0))
            {
                case 1:
                    entities.Add(RowCodec.Read<Entity>(json));
                    break;
                case 2:
                    sources.Add(RowCodec.Read<BalanceSource>(json));
                    break;
                case 3:
                    rollovers.Add(RowCodec.Read<RolloverBucket>(json));
                    break;
                case 4:
                    plans.Add(RowCodec.Read<CustomerPlan>(json));
                    break;
                default:
                    locks.Add(RowCodec.Read<BalanceLock>(json));
                    break;
            }
        }
        if (customer is null)
        {
            return null;
        }
        var state = new CustomerState(customer);
        state.Load(entities, sources, rollovers, plans, locks, nextSeq);
        return state;
    }

    private static void WriteCustomer(NpgsqlBatch b, TenantId t, string customerId, CustomerState? state, CustomerChanges c)
    {
        if (c.DeleteCustomer)
        {
            // As in the SQLite store, a deletion writes nothing else: every row of the customer goes, its ledger too.
            foreach (var (table, _) in CustomerTables)
            {
                b.AddScoped($"DELETE FROM {table} WHERE {Scope}", t, customerId);
            }
            return;
        }
        if (state is null)
        {
            var created = c.Customer ?? throw new InvalidOperationException("A new customer needs its row");
            b.AddScoped("""
                INSERT INTO customers (org_id, env, customer_id, next_seq, name, email, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, t, customerId, P.Long(Math.Max(c.NextSeq, 1)), P.Text(created.Name), P.Text(created.Email), P.Json(RowCodec.Write(created)));
        }
        else if (c.CustomerIsNew)
        {
            throw new InvalidOperationException($"Customer {customerId} already exists; a change for it cannot create it");
        }
        else if (c.Customer is { } changed)
        {
            b.AddScoped($"UPDATE customers SET next_seq = GREATEST(next_seq, $4), name = $5, email = $6, data = $7 WHERE {Scope}",
                t, customerId, P.Long(c.NextSeq), P.Text(changed.Name), P.Text(changed.Email), P.Json(RowCodec.Write(changed)));
        }
        else if (c.NextSeq > state.NextSeq)
        {
            b.AddScoped($"UPDATE customers SET next_seq = GREATEST(next_seq, $4) WHERE {Scope}", t, customerId, P.Long(c.NextSeq));
        }
        foreach (var e in c.UpsertEntities)
        {
            b.AddScoped("""
                INSERT INTO entities (org_id, env, customer_id, entity_id, data) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (org_id, env, customer_id, entity_id) DO UPDATE SET data = excluded.data
                """, t, customerId, P.Text(e.Id), P.Json(RowCodec.Write(e)));
        }
        foreach (var id in c.DeleteEntities)
        {
            b.AddScoped($"DELETE FROM entities WHERE {Scope} AND entity_id = $4", t, customerId, P.Text(id));
        }
        foreach (var p in c.UpsertPlans)
        {
            b.AddScoped("""
                INSERT INTO customer_plans (org_id, env, customer_id, id, data) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (org_id, env, customer_id, id) DO UPDATE SET data = excluded.data
                """, t, customerId, P.Text(p.Id), P.Json(RowCodec.Write(p)));
        }
        foreach (var id in c.DeletePlans)
        {
            b.AddScoped($"DELETE FROM customer_plans WHERE {Scope} AND id = $4", t, customerId, P.Text(id));
        }
        foreach (var s in c.UpsertSources)
        {
            b.AddScoped("""
                INSERT INTO balance_sources (org_id, env, customer_id, source_id, feature_id, entity_id, balance, next_reset_at, expires_at, data)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (org_id, env, customer_id, source_id) DO UPDATE SET
                    feature_id = excluded.feature_id, entity_id = excluded.entity_id, balance = excluded.balance,
                    next_reset_at = excluded.next_reset_at, expires_at = excluded.expires_at, data = excluded.data
                """, t, customerId, P.Text(s.Id), P.Text(s.FeatureId), P.Text(s.EntityId), P.Num(s.Balance),
                P.Long(RowCodec.Ms(s.NextResetAt)), P.Long(RowCodec.Ms(s.ExpiresAt)), P.Json(RowCodec.Write(s)));
        }
        foreach (var id in c.DeleteSources)
        {
            b.AddScoped($"DELETE FROM rollovers WHERE {Scope} AND source_id = $4", t, customerId, P.Text(id));
            b.AddScoped($"DELETE FROM balance_sources WHERE {Scope} AND source_id = $4", t, customerId, P.Text(id));
        }
        foreach (var r in c.UpsertRollovers)
        {
            b.AddScoped("""
                INSERT INTO rollovers (org_id, env, customer_id, rollover_id, source_id, data) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (org_id, env, customer_id, rollover_id) DO UPDATE SET source_id = excluded.source_id, data = excluded.data
                """, t, customerId, P.Text(r.Id), P.Text(r.SourceId), P.Json(RowCodec.Write(r)));
        }
        foreach (var id in c.DeleteRollovers)
        {
            b.AddScoped($"DELETE FROM rollovers WHERE {Scope} AND rollover_id = $4", t, customerId, P.Text(id));
        }
        foreach (var l in c.UpsertLocks)
        {
            b.AddScoped("""
                INSERT INTO locks (org_id, env, customer_id, lock_id, expires_at, data) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (org_id, env, customer_id, lock_id) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data
                """, t, customerId, P.Text(l.Id), P.Long(RowCodec.Ms(l.ExpiresAt)), P.Json(RowCodec.Write(l)));
        }
        foreach (var id in c.DeleteLocks)
        {
            b.AddScoped($"DELETE FROM locks WHERE {Scope} AND lock_id = $4", t, customerId, P.Text(id));
        }
        foreach (var e in c.Events)
        {
            b.AddScoped("""
                INSERT INTO events (org_id, env, customer_id, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key, deltas)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """, t, customerId, P.Text(e.Id), P.Text(e.Kind.ToString()), P.Text(e.EntityId), P.Text(e.EventName), P.Num(e.Value),
                P.Text(e.PropertiesJson), P.Long(RowCodec.Ms(e.Timestamp)), P.Text(e.IdempotencyKey), P.Json(RowCodec.Write(e.Deltas)));
        }
    }

    // ---------------------------------------------------------------- rename

    public Task<RenameOutcome> RenameCustomerAsync(TenantId tenant, string customerId, string newCustomerId, CancellationToken ct) =>
        RetryAsync(() => RenameOnceAsync(tenant, customerId, newCustomerId, ct), ct);

    /// <summary>
    /// Locks both ids in ordinal order (advisory lock, then row lock, as every mutation does) and moves every row
    /// by copy-and-delete rather than UPDATE of customer_id, which a distributed table cannot do when customer_id
    /// decides the shard. Ledger rows keep their seq.
    /// </summary>
    private async Task<RenameOutcome> RenameOnceAsync(TenantId t, string from, string to, CancellationToken ct)
    {
        string[] ids = string.CompareOrdinal(from, to) <= 0 ? [from, to] : [to, from];
        if (from == to)
        {
            ids = [from];
        }
        await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
        var rows = new Dictionary<string, Customer?>(StringComparer.Ordinal);
        await using (var batch = unit.Begin())
        {
            foreach (var id in ids)
            {
                AddCustomerLock(batch, t, id);
                batch.AddScoped($"SELECT data::text FROM customers WHERE {Scope} FOR UPDATE", t, id);
            }
            await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var results = new ResultCursor(r);
            foreach (var id in ids)
            {
                await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
                await results.NextAsync(ct).ConfigureAwait(false);
                rows[id] = await r.ReadAsync(ct).ConfigureAwait(false) ? RowCodec.Read<Customer>(r.GetString(0)) : null;
            }
        }
        if (rows[from] is not { } customer)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return RenameOutcome.NotFound;
        }
        if (from == to)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return RenameOutcome.Renamed;
        }
        if (rows[to] is not null)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return RenameOutcome.TargetExists;
        }
        await using (var write = unit.Batch())
        {
            foreach (var (table, columns) in CustomerTables)
            {
                var select = table == "customers" ? columns.Replace(", data", ", $5", StringComparison.Ordinal) : columns;
                var parameters = table == "customers" ? new[] { P.Text(to), P.Json(RowCodec.Write(customer with { Id = to })) } : [P.Text(to)];
                write.AddScoped($"""
                    INSERT INTO {table} (org_id, env, customer_id, {columns})
                    SELECT org_id, env, $4, {select} FROM {table} WHERE {Scope}
                    """, t, from, parameters);
                write.AddScoped($"DELETE FROM {table} WHERE {Scope}", t, from);
            }
            await unit.CommitAsync(write, ct).ConfigureAwait(false);
        }
        return RenameOutcome.Renamed;
    }
}
