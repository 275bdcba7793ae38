using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    public Task<RenameOutcome> RenameCustomerAsync(TenantId tenant, string customerId, string newCustomerId, CancellationToken ct) =>
        RetryAsync(() => RenameOnceAsync(tenant, customerId, newCustomerId, ct), ct);

    /// <summary>
    /// Locks both ids in lock-key order (advisory lock, then row lock, in the global order of
    /// <see cref="MutateCustomersOnceAsync"/>, so a rename and a shared transaction cannot deadlock) and moves every row
    /// by copy-and-delete rather than UPDATE of customer_id, which a distributed table cannot do when customer_id
    /// decides the shard. Ledger rows keep their seq.
    /// </summary>
    private async Task<RenameOutcome> RenameOnceAsync(TenantId t, string from, string to, CancellationToken ct)
    {
        string[] ids = LockKeys.Customer(t, from) <= LockKeys.Customer(t, to) ? [from, to] : [to, from];
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
