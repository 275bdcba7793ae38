using Microsoft.Data.Sqlite;
using Tally.Core.Domain;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
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
}
