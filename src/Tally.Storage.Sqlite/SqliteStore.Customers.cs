using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public async Task<StoreResult<T>> MutateCustomerAsync<T>(TenantId tenant, string customerId, CustomerWork<T> work,
        IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var (replay, claim) = idempotency is null ? default : await ClaimAsync<T>(tenant, idempotency, ct).ConfigureAwait(false);
        if (replay is not null)
        {
            return replay;
        }
        try
        {
            var catalog = await GetCatalogAsync(tenant, ct).ConfigureAwait(false);
            var entry = Pin(tenant, customerId);
            try
            {
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
                        var records = Idempotency.Records(idempotency, decision.Response, decision.Status, _time.GetUtcNow());
                        if (changes is null && records.Count == 0)
                        {
                            return StoreResult<T>.Done(result);
                        }
                        if (changes is not null)
                        {
                            // The in-memory copy moves on now so the next request of this customer can decide
                            // while this one's commit is in flight; a failed commit bumps the epoch and forces a reload.
                            entry.State = CustomerStates.Advance(entry.State, changes);
                        }
                        var isNew = changes?.CustomerIsNew == true || (changes?.Customer is not null && wasAbsent);
                        var plan = new WritePlan();
                        if (changes is not null)
                        {
                            WriteCustomer(plan, tenant, customerId, changes, isNew);
                        }
                        if (changes is { Notifications.Count: > 0 })
                        {
                            WriteOutbox(plan, tenant, changes.Notifications, _time.GetUtcNow());
                        }
                        WriteIdempotency(plan, tenant, records);
                        commit = Pipeline.CommitAsync(plan.ApplyTo, epoch);
                    }
                    await commit.ConfigureAwait(false);
                    return StoreResult<T>.Done(result);
                }
            }
            finally
            {
                Unpin(entry);
            }
        }
        finally
        {
            claim?.Dispose();
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
        var a = Pin(tenant, customerId);
        var b = Pin(tenant, newCustomerId);
        try
        {
            return await RenameEntriesAsync(tenant, customerId, newCustomerId, a, b, ct).ConfigureAwait(false);
        }
        finally
        {
            Unpin(a);
            Unpin(b);
        }
    }

    private async Task<RenameOutcome> RenameEntriesAsync(TenantId tenant, string customerId, string newCustomerId, Entry a, Entry b,
        CancellationToken ct)
    {
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
                // nothing may decide on the old rows while the cascade moves them. Without a state, both entries
                // leave memory with their last user.
                foreach (var e in new[] { a, b })
                {
                    lock (e.Gate)
                    {
                        e.Loaded = false;
                        e.State = null;
                    }
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
}
