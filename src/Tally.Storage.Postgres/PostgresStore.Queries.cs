using System.Text;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    public async Task<IReadOnlyList<(string CustomerId, long Seq)>> ListCustomersAsync(TenantId tenant, long afterSeq, int limit, string? search,
        CancellationToken ct, bool newestFirst = false)
    {
        // ILIKE on "C"-collated columns folds ASCII case only, like SQLite's LIKE.
        var sql = "SELECT customer_id, seq FROM customers WHERE org_id = $1 AND env = $2"
            + (newestFirst ? (afterSeq > 0 ? " AND seq < $3" : " AND $3 >= 0") : " AND seq > $3")
            + (search is null ? "" : @" AND (customer_id ILIKE $5 ESCAPE '\' OR name ILIKE $5 ESCAPE '\' OR email ILIKE $5 ESCAPE '\')")
            + (newestFirst ? " ORDER BY seq DESC" : " ORDER BY seq") + " LIMIT $4";
        await using var cmd = _dataSource.CreateCommand(sql);
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Long(afterSeq));
        cmd.Parameters.Add(P.Int(limit));
        if (search is not null)
        {
            cmd.Parameters.Add(P.Text("%" + search.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%"));
        }
        var list = new List<(string, long)>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((r.GetString(0), r.GetInt64(1)));
        }
        return list;
    }

    public async Task<IReadOnlyList<(string CustomerId, string EntityId, long Seq)>> ListEntitiesAsync(TenantId tenant, string? customerId,
        long afterSeq, int limit, CancellationToken ct)
    {
        var sql = "SELECT customer_id, entity_id, seq FROM entities WHERE org_id = $1 AND env = $2 AND seq > $3"
            + (customerId is null ? "" : " AND customer_id = $5") + " ORDER BY seq LIMIT $4";
        await using var cmd = _dataSource.CreateCommand(sql);
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Long(afterSeq));
        cmd.Parameters.Add(P.Int(limit));
        if (customerId is not null)
        {
            cmd.Parameters.Add(P.Text(customerId));
        }
        var list = new List<(string, string, long)>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }
        return list;
    }

    public async Task<IReadOnlyList<string>> FindEntityOwnersAsync(TenantId tenant, string entityId, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT customer_id FROM entities WHERE org_id = $1 AND env = $2 AND entity_id = $3 ORDER BY seq");
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Text(entityId));
        var list = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(r.GetString(0));
        }
        return list;
    }

    /// <summary>Track events only, newest first.</summary>
    public async Task<IReadOnlyList<LedgerEvent>> ListEventsAsync(TenantId tenant, EventQuery q, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(q);
        var sql = new StringBuilder($"""
            SELECT {EventRows.Columns}, deltas::text
            FROM events WHERE org_id = $1 AND env = $2 AND kind = 'Track'
            """);
        await using var cmd = _dataSource.CreateCommand();
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        string Next(NpgsqlParameter p)
        {
            cmd.Parameters.Add(p);
            return "$" + cmd.Parameters.Count;
        }
        if (q.CustomerId is not null)
        {
            sql.Append(" AND customer_id = ").Append(Next(P.Text(q.CustomerId)));
        }
        if (q.EntityId is not null)
        {
            sql.Append(" AND entity_id = ").Append(Next(P.Text(q.EntityId)));
        }
        if (q.EventNames is { Count: > 0 } names)
        {
            sql.Append(" AND event_name = ANY(").Append(Next(P.TextArray(names))).Append(')');
        }
        if (q.From is { } from)
        {
            sql.Append(" AND timestamp >= ").Append(Next(P.Long(RowCodec.Ms(from))));
        }
        if (q.To is { } to)
        {
            sql.Append(" AND timestamp <= ").Append(Next(P.Long(RowCodec.Ms(to))));
        }
        if (q.BeforeSeq is { } before)
        {
            sql.Append(" AND seq < ").Append(Next(P.Long(before)));
        }
        sql.Append(" ORDER BY seq DESC LIMIT ").Append(Next(P.Int(q.Limit)));
        cmd.CommandText = sql.ToString();
        var list = new List<LedgerEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(EventRows.Read(r));
        }
        return list;
    }

    public async Task<string?> FindLockOwnerAsync(TenantId tenant, string lockId, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT customer_id FROM locks WHERE org_id = $1 AND env = $2 AND lock_id = $3 LIMIT 1");
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Text(lockId));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    public async Task<bool> IsPlanAttachedAsync(TenantId tenant, string planId, int version, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM customer_plans WHERE org_id = $1 AND env = $2
                AND data->>'plan_id' = $3 AND (data->>'plan_version')::int = $4)
            """);
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Text(planId));
        cmd.Parameters.Add(P.Int(version));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    public async Task<bool> IsFeatureHeldAsync(TenantId tenant, string featureId, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM balance_sources WHERE org_id = $1 AND env = $2 AND feature_id = $3)");
        cmd.Parameters.Add(P.Org(tenant));
        cmd.Parameters.Add(P.Env(tenant));
        cmd.Parameters.Add(P.Text(featureId));
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    public async Task<IReadOnlyList<(TenantId Tenant, string CustomerId)>> FindDueCustomersAsync(DateTimeOffset dueBy, int limit,
        CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT org_id, env, customer_id FROM balance_sources WHERE next_reset_at IS NOT NULL AND next_reset_at <= $1
            UNION
            SELECT org_id, env, customer_id FROM locks WHERE expires_at IS NOT NULL AND expires_at <= $1
            UNION
            SELECT org_id, env, customer_id FROM customer_plans WHERE due_at IS NOT NULL AND due_at <= $1
            LIMIT $2
            """);
        cmd.Parameters.Add(P.Long(RowCodec.Ms(dueBy)));
        cmd.Parameters.Add(P.Int(limit));
        var list = new List<(TenantId, string)>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((new TenantId(r.GetString(0), RowCodec.ParseEnv(r.GetString(1))), r.GetString(2)));
        }
        return list;
    }
}
