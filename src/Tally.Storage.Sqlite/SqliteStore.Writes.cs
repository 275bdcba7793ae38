using Tally.Core.Domain;
using Tally.Core.Telemetry;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
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
                INSERT INTO customer_plans (org_id, env, customer_id, id, data, due_at) VALUES ($0, $1, $2, $3, $4, $5)
                ON CONFLICT (org_id, env, customer_id, id) DO UPDATE SET data = excluded.data, due_at = excluded.due_at
                """, o, env, customerId, p.Id, RowCodec.Write(p), RowCodec.Ms(p.DueAt()));
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
        WriteEvents(w, o, env, customerId, c.Events);
        WriteUsageRollup(w, o, env, customerId, c.Events);
    }

    // Rows per multi-row events INSERT, largest first: a batch_track's events go in as few statements as the sizes
    // allow (each size is one prepared statement), a single track's as one row.
    private static readonly int[] EventChunks = [64, 8, 1];
    private static readonly string[] InsertEventsSql = [.. EventChunks.Select(InsertEvents)];
    private const int EventColumns = 9;

    private static string InsertEvents(int rows)
    {
        var sb = new System.Text.StringBuilder("""
            INSERT INTO events (org_id, env, customer_id, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key, deltas)
            VALUES
            """);
        for (var r = 0; r < rows; r++)
        {
            sb.Append(r == 0 ? " ($0, $1, $2" : ", ($0, $1, $2");
            for (var c = 0; c < EventColumns; c++)
            {
                sb.Append(", $").Append(3 + (r * EventColumns) + c);
            }
            sb.Append(')');
        }
        return sb.ToString();
    }

    private static void WriteEvents(ISqlSink w, string o, string env, string customerId, List<LedgerEvent> events)
    {
        // A batch's events mostly repeat their neighbour's value and deltas (same feature, same source, same amount):
        // their encoded text is reused instead of encoded again, only when it would come out byte for byte the same.
        LedgerEvent? previous = null;
        string? value = null, deltas = null;
        var next = 0;
        for (var k = 0; k < EventChunks.Length; k++)
        {
            var rows = EventChunks[k];
            while (events.Count - next >= rows)
            {
                var args = new object?[3 + (rows * EventColumns)];
                args[0] = o;
                args[1] = env;
                args[2] = customerId;
                for (var r = 0; r < rows; r++)
                {
                    var e = events[next + r];
                    var at = 3 + (r * EventColumns);
                    args[at] = e.Id;
                    args[at + 1] = e.Kind.ToString();
                    args[at + 2] = e.EntityId;
                    args[at + 3] = e.EventName;
                    value = previous is not null && SameText(previous.Value, e.Value) ? value : RowCodec.Dec(e.Value);
                    deltas = previous is not null && SameDeltas(previous.Deltas, e.Deltas) ? deltas : RowCodec.Write(e.Deltas);
                    previous = e;
                    args[at + 4] = value;
                    args[at + 5] = e.PropertiesJson;
                    args[at + 6] = RowCodec.Ms(e.Timestamp);
                    args[at + 7] = e.IdempotencyKey;
                    args[at + 8] = deltas;
                }
                w.Exec(InsertEventsSql[k], args);
                next += rows;
            }
        }
    }

    /// <summary>Whether two decimals print the same: equal and of the same scale (1.0 and 1 are equal but print differently).</summary>
    internal static bool SameText(decimal a, decimal b) => a == b && a.Scale == b.Scale;

    /// <summary>Whether two delta lists encode to the same row JSON (record equality alone would let 1.0 pass for 1).</summary>
    internal static bool SameDeltas(IReadOnlyList<SourceDelta> a, IReadOnlyList<SourceDelta> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a.Count != b.Count)
        {
            return false;
        }
        for (var i = 0; i < a.Count; i++)
        {
            var (x, y) = (a[i], b[i]);
            if (!string.Equals(x.SourceId, y.SourceId, StringComparison.Ordinal) || !string.Equals(x.FeatureId, y.FeatureId, StringComparison.Ordinal)
                || !string.Equals(x.PlanId, y.PlanId, StringComparison.Ordinal) || !string.Equals(x.RolloverId, y.RolloverId, StringComparison.Ordinal)
                || x.Interval != y.Interval || x.IntervalCount != y.IntervalCount || !SameText(x.Value, y.Value)
                || x.ResetsAt != y.ResetsAt || x.ResetsAt?.Offset != y.ResetsAt?.Offset)
            {
                return false;
            }
        }
        return true;
    }
}
