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
        ("customer_plans", "id, data, due_at"),
        ("balance_sources", "source_id, feature_id, entity_id, balance, next_reset_at, expires_at, data"),
        ("rollovers", "rollover_id, source_id, data"),
        ("locks", "lock_id, expires_at, data"),
        ("events", "seq, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key, deltas"),
        ("usage_hourly", "feature_id, hour, entity_id, count, sum"),
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
            .SelectMany(u => u.Idempotency!.OrderedKeys.Select(k => (Unit: u, Key: k)))
            .OrderBy(x => LockKeys.Idempotency(tenant, x.Key)).ToList();
        await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
        var found = new Dictionary<Pending, List<IdempotencyRecord>>();
        CustomerState? state;
        Catalog catalog;
        await using (var batch = unit.Begin())
        {
            foreach (var (_, key) in keyed)
            {
                AddIdempotencyLookup(batch, tenant, key);
            }
            AddCustomerLock(batch, tenant, customerId);
            AddCustomerLoad(batch, tenant, customerId);
            AddCatalogLoad(batch, tenant, cached);
            await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var results = new ResultCursor(r);
            foreach (var (u, key) in keyed)
            {
                if (await ReadIdempotencyAsync(results, key, ct).ConfigureAwait(false) is { } record)
                {
                    (found.TryGetValue(u, out var list) ? list : found[u] = []).Add(record);
                }
            }
            await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
            state = await ReadCustomerAsync(results, ct).ConfigureAwait(false);
            catalog = await ReadCatalogAsync(results, tenant, cached, ct).ConfigureAwait(false);
        }
        await using var write = unit.Batch();
        foreach (var u in units)
        {
            var earlier = found.GetValueOrDefault(u) ?? (IReadOnlyList<IdempotencyRecord>)[];
            if (u.Replay(Live(earlier, now)))
            {
                continue;
            }
            if (!u.Decide(state, catalog, out var changes, out var response, out var status))
            {
                continue; // the unit threw; it alone fails, and nothing of it is written
            }
            var records = Idempotency.Records(u.Idempotency, response, status, now);
            try
            {
                if (changes is not null)
                {
                    WriteCustomer(write, tenant, customerId, state, changes);
                    if (changes.Notifications.Count > 0)
                    {
                        WriteOutbox(write, tenant, changes.Notifications, now);
                    }
                    state = CustomerStates.Advance(state, changes);
                }
            }
            catch (Exception e) when (units.Count > 1)
            {
                // Half of this unit's statements may be in the batch: send none of it, and let each unit run alone.
                throw new NothingCommittedException(e);
            }
            WriteIdempotency(write, tenant, records, earlier);
        }
        if (write.BatchCommands.Count == 0)
        {
            await unit.RollbackAsync().ConfigureAwait(false);
            return true;
        }
        await unit.CommitAsync(write, ct).ConfigureAwait(false);
        return true;
    }

}
