using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public async Task<IReadOnlyList<(string CustomerId, long Seq)>> ListCustomersAsync(TenantId tenant, long afterSeq, int limit, string? search,
        CancellationToken ct, bool newestFirst = false)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var sql = "SELECT customer_id, seq FROM customers WHERE org_id = $o AND env = $e"
            + (newestFirst ? (afterSeq > 0 ? " AND seq < $after" : "") : " AND seq > $after")
            // A literal substring match folding ASCII case, as LIKE does, but without LIKE's pattern length limit
            // (a long term, or one of many escaped wildcards, would be "LIKE or GLOB pattern too complex").
            + (search is null ? "" : " AND (instr(lower(customer_id), $s) > 0 OR instr(lower(name), $s) > 0 OR instr(lower(email), $s) > 0)")
            + (newestFirst ? " ORDER BY seq DESC" : " ORDER BY seq") + " LIMIT $limit";
        using var cmd = Tenant(c, sql, tenant);
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$limit", limit);
        if (search is not null)
        {
            cmd.Parameters.AddWithValue("$s", AsciiLower(search));
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
        var sql = new System.Text.StringBuilder($"""
            SELECT {EventRows.Columns}, deltas
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
            list.Add(EventRows.Read(r));
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
            UNION
            SELECT org_id, env, customer_id FROM customer_plans WHERE due_at IS NOT NULL AND due_at <= $due
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

    /// <summary>SQLite's lower(): ASCII letters only, so both sides of the match fold alike.</summary>
    private static string AsciiLower(string s) => string.Create(s.Length, s, static (span, src) =>
    {
        for (var i = 0; i < src.Length; i++)
        {
            var ch = src[i];
            span[i] = ch is >= 'A' and <= 'Z' ? (char)(ch + 32) : ch;
        }
    });
}
