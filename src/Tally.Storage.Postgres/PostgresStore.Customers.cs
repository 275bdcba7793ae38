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
        Enqueue(tenant, customerId, pending);
        // Not cancellable once queued: the unit may already be committing, and its caller must learn the outcome.
        return await pending.Done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// One transaction for the units of several customers. Round trip 1: BEGIN; then every lock in one global order,
    /// so two workers or two nodes can never wait on each other in a cycle: first the idempotency keys of all units
    /// sorted by lock key (a catalog write takes its keys the same way, then only the catalog row), then the
    /// customers' advisory locks sorted by lock key (a rename takes its two the same way); the row locks and loads
    /// come after all of them, so no one else holding the advisory lock can be waiting for a row we hold. Then every
    /// customer's rows and each tenant's catalog version (statements run in order, so every read sees what the
    /// previous holder of its lock committed). Each customer's units decide in arrival order, on the state the one
    /// before left. Round trip 2: every unit's writes, ledger rows and idempotency records, and COMMIT. Nobody is
    /// answered before the commit.
    /// </summary>
    private async Task<bool> MutateCustomersOnceAsync(IReadOnlyList<Group> groups)
    {
        var ct = CancellationToken.None;
        var now = _time.GetUtcNow();
        var ordered = groups.OrderBy(g => g.Queue.LockKey).ToList();
        var keyed = new List<(Pending Unit, TenantId Tenant, string Key, long LockKey)>();
        var tenants = new List<(TenantId Tenant, CachedCatalog? Cached)>();
        foreach (var g in ordered)
        {
            foreach (var u in g.Units)
            {
                foreach (var key in u.Idempotency?.OrderedKeys ?? [])
                {
                    keyed.Add((u, g.Tenant, key, LockKeys.Idempotency(g.Tenant, key)));
                }
            }
            if (!tenants.Exists(x => x.Tenant == g.Tenant))
            {
                tenants.Add((g.Tenant, _catalogs.GetValueOrDefault(g.Tenant)));
            }
        }
        keyed.Sort((a, b) => a.LockKey.CompareTo(b.LockKey));
        await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
        var found = new Dictionary<Pending, List<IdempotencyRecord>>();
        var states = new CustomerState?[ordered.Count];
        var catalogs = new Dictionary<TenantId, Catalog>();
        await using (var batch = unit.Begin())
        {
            foreach (var (_, tenant, key, _) in keyed)
            {
                AddIdempotencyLookup(batch, tenant, key);
            }
            foreach (var g in ordered)
            {
                AddCustomerLock(batch, g.Tenant, g.CustomerId);
            }
            foreach (var g in ordered)
            {
                AddCustomerLoad(batch, g.Tenant, g.CustomerId);
            }
            foreach (var (tenant, cached) in tenants)
            {
                AddCatalogLoad(batch, tenant, cached);
            }
            await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var results = new ResultCursor(r);
            foreach (var (u, _, key, _) in keyed)
            {
                if (await ReadIdempotencyAsync(results, key, ct).ConfigureAwait(false) is { } record)
                {
                    (found.TryGetValue(u, out var list) ? list : found[u] = []).Add(record);
                }
            }
            foreach (var _ in ordered)
            {
                await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
            }
            for (var i = 0; i < ordered.Count; i++)
            {
                states[i] = await ReadCustomerAsync(results, ct).ConfigureAwait(false);
            }
            foreach (var (tenant, cached) in tenants)
            {
                catalogs[tenant] = await ReadCatalogAsync(results, tenant, cached, ct).ConfigureAwait(false);
            }
        }
        var single = ordered.Count == 1 && ordered[0].Units.Count == 1;
        await using var write = unit.Batch();
        var coalesced = new Coalesced();
        for (var i = 0; i < ordered.Count; i++)
        {
            var g = ordered[i];
            var state = states[i];
            // One unit has nothing to coalesce; its writes go in place, as they always did.
            var pending = g.Units.Count > 1 ? coalesced : null;
            foreach (var u in g.Units)
            {
                var earlier = found.GetValueOrDefault(u) ?? (IReadOnlyList<IdempotencyRecord>)[];
                if (u.Replay(Live(earlier, now)))
                {
                    continue;
                }
                if (!u.Decide(state, catalogs[g.Tenant], out var changes, out var response, out var status))
                {
                    continue; // the unit threw; it alone fails, and nothing of it is written
                }
                var records = Idempotency.Records(u.Idempotency, response, status, now);
                try
                {
                    if (changes is not null)
                    {
                        WriteCustomer(write, g.Tenant, g.CustomerId, state, changes, pending);
                        if (changes.Notifications.Count > 0)
                        {
                            WriteOutbox(write, g.Tenant, changes.Notifications, now);
                        }
                        state = CustomerStates.Advance(state, changes);
                    }
                }
                catch (Exception e) when (!single)
                {
                    // Half of this unit's statements may be in the batch: send none of it, and let each unit run alone.
                    throw new NothingCommittedException(e);
                }
                WriteIdempotency(write, g.Tenant, records, earlier);
            }
            if (pending is not null)
            {
                WriteCoalesced(write, g.Tenant, g.CustomerId, pending);
            }
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
