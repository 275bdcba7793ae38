using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

/// <summary>Fan-out, claims, attempts and the delivery log of webhooks.</summary>
public sealed partial class SqliteStore
{
    private const int FanOutBatch = 200;

    public async Task<IReadOnlyList<WebhookClaim>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit,
        CancellationToken ct)
    {
        await FanOutAsync(ct).ConfigureAwait(false);
        var candidates = new List<(string DeliveryId, string EndpointId, string EventId, string Type, string Payload, int Attempts, TenantId Tenant)>();
        await using (var c = await OpenReaderAsync(ct).ConfigureAwait(false))
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                SELECT d.delivery_id, d.endpoint_id, d.event_id, o.type, o.payload, d.attempts, d.org_id, d.env
                FROM webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= $now AND d.lease_until <= $now
                ORDER BY d.next_attempt_at, d.delivery_id LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$now", RowCodec.Ms(now));
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                candidates.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), (int)r.GetInt64(5),
                    new TenantId(r.GetString(6), RowCodec.ParseEnv(r.GetString(7)))));
            }
        }
        if (candidates.Count == 0)
        {
            return [];
        }
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        await Pipeline.CommitAsync(w =>
        {
            foreach (var d in candidates)
            {
                if (w.Exec("UPDATE webhook_deliveries SET lease_until = $1 WHERE delivery_id = $0 AND status = 'pending' AND lease_until <= $2",
                    d.DeliveryId, RowCodec.Ms(leaseUntil), RowCodec.Ms(now)) > 0)
                {
                    claimed.Add(d.DeliveryId);
                }
            }
        }, Pipeline.Epoch).ConfigureAwait(false);
        var endpoints = new Dictionary<string, WebhookEndpoint?>(StringComparer.Ordinal);
        var claims = new List<WebhookClaim>();
        foreach (var d in candidates.Where(d => claimed.Contains(d.DeliveryId)))
        {
            if (!endpoints.TryGetValue(d.EndpointId, out var endpoint))
            {
                endpoints[d.EndpointId] = endpoint = await GetWebhookAsync(d.Tenant, d.EndpointId, ct).ConfigureAwait(false);
            }
            if (endpoint is not null)
            {
                claims.Add(new WebhookClaim(d.DeliveryId, endpoint, d.EventId, d.Type, d.Payload, d.Attempts));
            }
        }
        return claims;
    }

    /// <summary>Addresses new outbox events to the endpoints of their tenant that existed when they were committed.</summary>
    private async Task FanOutAsync(CancellationToken ct)
    {
        var events = new List<(string EventId, TenantId Tenant, string Type, long CreatedAt)>();
        await using (var c = await OpenReaderAsync(ct).ConfigureAwait(false))
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT event_id, org_id, env, type, created_at FROM webhook_outbox WHERE fanned_out = 0 ORDER BY created_at LIMIT {FanOutBatch}";
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                events.Add((r.GetString(0), new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))), r.GetString(3), r.GetInt64(4)));
            }
        }
        if (events.Count == 0)
        {
            return;
        }
        var endpoints = new Dictionary<TenantId, IReadOnlyList<WebhookEndpoint>>();
        foreach (var t in events.Select(e => e.Tenant).Distinct())
        {
            endpoints[t] = await ListWebhooksAsync(t, ct).ConfigureAwait(false);
        }
        var now = _time.GetUtcNow();
        await Pipeline.CommitAsync(w =>
        {
            foreach (var e in events)
            {
                if (w.Exec("UPDATE webhook_outbox SET fanned_out = 1 WHERE event_id = $0 AND fanned_out = 0", e.EventId) == 0)
                {
                    continue;
                }
                foreach (var ep in endpoints[e.Tenant].Where(ep => !ep.Disabled && ep.Accepts(e.Type) && RowCodec.Ms(ep.CreatedAt) <= e.CreatedAt))
                {
                    w.Exec(InsertDeliverySql, WebhookOutbox.NewId("whd_", now), e.Tenant.OrgId, e.Tenant.EnvName, ep.Id, e.EventId, RowCodec.Ms(now));
                }
            }
        }, Pipeline.Epoch).ConfigureAwait(false);
    }

    public Task RecordWebhookAttemptAsync(WebhookAttemptResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        var a = result.Attempt;
        return Pipeline.CommitAsync(w =>
        {
            w.Exec("""
                INSERT INTO webhook_attempts (delivery_id, attempt_no, at, http_status, duration_ms, error, response_body)
                SELECT delivery_id, attempts + 1, $1, $2, $3, $4, $5 FROM webhook_deliveries WHERE delivery_id = $0
                """, result.DeliveryId, RowCodec.Ms(a.At), a.HttpStatus, a.DurationMs, a.Error, a.ResponseBody);
            w.Exec("""
                UPDATE webhook_deliveries SET attempts = attempts + 1, status = $1, next_attempt_at = $2, lease_until = 0 WHERE delivery_id = $0
                """, result.DeliveryId, StatusName(result), RowCodec.Ms(result.RetryAt));
            if (result.Delivered)
            {
                w.Exec("UPDATE webhook_endpoints SET consecutive_failures = 0, failing = 0 WHERE endpoint_id = $0", result.EndpointId);
            }
            else
            {
                w.Exec("""
                    UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                        failing = CASE WHEN consecutive_failures + 1 >= $1 THEN 1 ELSE failing END
                    WHERE endpoint_id = $0
                    """, result.EndpointId, result.FailingAfter);
            }
        }, Pipeline.Epoch);
    }

    public async Task<IReadOnlyList<WebhookDeliveryInfo>> ListWebhookDeliveriesAsync(TenantId tenant, WebhookDeliveryQuery query,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        var list = new List<WebhookDeliveryInfo>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = """
                SELECT d.delivery_id, d.endpoint_id, d.event_id, o.type, d.status, d.attempts, d.created_at, d.next_attempt_at
                FROM webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id
                WHERE d.org_id = $o AND d.env = $e AND ($ep IS NULL OR d.endpoint_id = $ep) AND ($st IS NULL OR d.status = $st)
                    AND ($before IS NULL OR d.delivery_id < $before)
                ORDER BY d.delivery_id DESC LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$o", tenant.OrgId);
            cmd.Parameters.AddWithValue("$e", tenant.EnvName);
            cmd.Parameters.AddWithValue("$ep", (object?)query.EndpointId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$st", query.Status is { } s ? StatusName(s) : DBNull.Value);
            cmd.Parameters.AddWithValue("$before", (object?)query.BeforeId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$limit", query.Limit);
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new WebhookDeliveryInfo(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseStatus(r.GetString(4)),
                    (int)r.GetInt64(5), RowCodec.FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : RowCodec.FromMs(r.GetInt64(7)), []));
            }
        }
        for (var i = 0; i < list.Count; i++)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                SELECT at, http_status, duration_ms, error, response_body FROM webhook_attempts WHERE delivery_id = $d ORDER BY attempt_no
                """;
            cmd.Parameters.AddWithValue("$d", list[i].Id);
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var attempts = new List<WebhookAttempt>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                attempts.Add(new WebhookAttempt(RowCodec.FromMs(r.GetInt64(0)), r.IsDBNull(1) ? null : (int)r.GetInt64(1), r.GetInt64(2),
                    r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4)));
            }
            list[i] = list[i] with { AttemptLog = attempts };
        }
        return list;
    }

    public async Task<bool> RedeliverWebhookAsync(TenantId tenant, string deliveryId, DateTimeOffset now, CancellationToken ct)
    {
        var changed = 0;
        await Pipeline.CommitAsync(w => changed = w.Exec("""
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, lease_until = 0
            WHERE delivery_id = $0 AND org_id = $1 AND env = $2
            """, deliveryId, tenant.OrgId, tenant.EnvName, RowCodec.Ms(now)), Pipeline.Epoch).ConfigureAwait(false);
        return changed > 0;
    }

    internal static string StatusName(WebhookAttemptResult r) =>
        r.Delivered ? "delivered" : r.RetryAt is null ? "failed" : "pending";

    internal static string StatusName(WebhookDeliveryStatus s) => s switch
    {
        WebhookDeliveryStatus.Delivered => "delivered",
        WebhookDeliveryStatus.Failed => "failed",
        _ => "pending",
    };

    internal static WebhookDeliveryStatus ParseStatus(string s) => s switch
    {
        "delivered" => WebhookDeliveryStatus.Delivered,
        "failed" => WebhookDeliveryStatus.Failed,
        _ => WebhookDeliveryStatus.Pending,
    };
}
