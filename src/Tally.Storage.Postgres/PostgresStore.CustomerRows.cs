using Npgsql;
using Tally.Core.Domain;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
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

    /// <summary>Adds a unit's changes; with <paramref name="coalesced"/>, its source and usage writes wait there.</summary>
    private static void WriteCustomer(NpgsqlBatch b, TenantId t, string customerId, CustomerState? state, CustomerChanges c,
        Coalesced? coalesced = null)
    {
        if (c.DeleteCustomer)
        {
            coalesced?.Clear();
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
                INSERT INTO customer_plans (org_id, env, customer_id, id, data, due_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (org_id, env, customer_id, id) DO UPDATE SET data = excluded.data, due_at = excluded.due_at
                """, t, customerId, P.Text(p.Id), P.Json(RowCodec.Write(p)), P.Long(RowCodec.Ms(p.DueAt())));
        }
        foreach (var id in c.DeletePlans)
        {
            b.AddScoped($"DELETE FROM customer_plans WHERE {Scope} AND id = $4", t, customerId, P.Text(id));
        }
        foreach (var s in c.UpsertSources)
        {
            if (coalesced is not null)
            {
                coalesced.Sources[s.Id] = s;
            }
            else
            {
                WriteSource(b, t, customerId, s);
            }
        }
        foreach (var id in c.DeleteSources)
        {
            coalesced?.Sources.Remove(id);
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
        if (coalesced is not null)
        {
            coalesced.Add(c.Events);
        }
        else
        {
            AddUsageRollup(b, t, customerId, c.Events);
        }
    }
}
