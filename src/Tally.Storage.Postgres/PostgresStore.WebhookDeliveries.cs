using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

/// <summary>
/// Fan-out, claims, attempts and the delivery log of webhooks. Several nodes dispatch at once: fan-out and claims take
/// rows with <c>FOR UPDATE SKIP LOCKED</c> and a claim sets a lease, so each delivery is sent by one node at a time;
/// a node that dies mid-send leaves the lease to run out and another node retries it (at least once).
/// </summary>
public sealed partial class PostgresStore
{
    private const int FanOutBatch = 200;

    public async Task<IReadOnlyList<WebhookClaim>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit,
        CancellationToken ct)
    {
        await FanOutAsync(ct).ConfigureAwait(false);
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        var claimed = new List<(string DeliveryId, string EndpointId, string EventId, int Attempts, TenantId Tenant, string Type, string Payload)>();
        await using (var cmd = new NpgsqlCommand("""
            WITH c AS (
                SELECT delivery_id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1
                ORDER BY next_attempt_at, delivery_id LIMIT $3 FOR UPDATE SKIP LOCKED),
            u AS (
                UPDATE webhook_deliveries d SET lease_until = $2 FROM c WHERE d.delivery_id = c.delivery_id
                RETURNING d.delivery_id, d.endpoint_id, d.event_id, d.attempts, d.org_id, d.env)
            SELECT u.delivery_id, u.endpoint_id, u.event_id, u.attempts, u.org_id, u.env, o.type, o.payload
            FROM u JOIN webhook_outbox o ON o.event_id = u.event_id
            """, conn))
        {
            cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Long(RowCodec.Ms(now)), P.Long(RowCodec.Ms(leaseUntil)), P.Int(limit) });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                claimed.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3),
                    new TenantId(r.GetString(4), RowCodec.ParseEnv(r.GetString(5))), r.GetString(6), r.GetString(7)));
            }
        }
        var endpoints = new Dictionary<string, WebhookEndpoint?>(StringComparer.Ordinal);
        var claims = new List<WebhookClaim>();
        foreach (var d in claimed)
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
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        var events = new List<(string EventId, TenantId Tenant, string Type, long CreatedAt)>();
        await using (var cmd = new NpgsqlCommand($"""
            SELECT event_id, org_id, env, type, created_at FROM webhook_outbox WHERE NOT fanned_out
            ORDER BY created_at LIMIT {FanOutBatch} FOR UPDATE SKIP LOCKED
            """, conn))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                events.Add((r.GetString(0), new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))), r.GetString(3), r.GetInt64(4)));
            }
        }
        if (events.Count == 0)
        {
            return;
        }
        var endpoints = new Dictionary<TenantId, List<WebhookEndpoint>>();
        foreach (var t in events.Select(e => e.Tenant).Distinct())
        {
            endpoints[t] = await ListWebhooksAsync(conn, t, ct).ConfigureAwait(false);
        }
        var now = _time.GetUtcNow();
        await using (var batch = new NpgsqlBatch(conn))
        {
            foreach (var e in events)
            {
                foreach (var ep in endpoints[e.Tenant].Where(ep => !ep.Disabled && ep.Accepts(e.Type) && RowCodec.Ms(ep.CreatedAt) <= e.CreatedAt))
                {
                    batch.Add("""
                        INSERT INTO webhook_deliveries (delivery_id, org_id, env, endpoint_id, event_id, status, next_attempt_at, created_at)
                        VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (event_id, endpoint_id) DO NOTHING
                        """, P.Text(WebhookOutbox.NewId("whd_", now)), P.Org(e.Tenant), P.Env(e.Tenant), P.Text(ep.Id), P.Text(e.EventId),
                        P.Long(RowCodec.Ms(now)));
                }
            }
            batch.Add("UPDATE webhook_outbox SET fanned_out = true WHERE event_id = ANY($1)", P.TextArray(events.Select(e => e.EventId).ToList()));
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task RecordWebhookAttemptAsync(WebhookAttemptResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        var a = result.Attempt;
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(conn))
        {
            batch.Add("""
                INSERT INTO webhook_attempts (delivery_id, attempt_no, at, http_status, duration_ms, error, response_body)
                SELECT delivery_id, attempts + 1, $2, $3, $4, $5, $6 FROM webhook_deliveries WHERE delivery_id = $1
                """, P.Text(result.DeliveryId), P.Long(RowCodec.Ms(a.At)), P.Long(a.HttpStatus), P.Long(a.DurationMs), P.Text(a.Error),
                P.Text(a.ResponseBody));
            batch.Add("""
                UPDATE webhook_deliveries SET attempts = attempts + 1, status = $2, next_attempt_at = $3, lease_until = 0 WHERE delivery_id = $1
                """, P.Text(result.DeliveryId), P.Text(StatusName(result)), P.Long(RowCodec.Ms(result.RetryAt)));
            if (result.Delivered)
            {
                batch.Add("UPDATE webhook_endpoints SET consecutive_failures = 0, failing = false WHERE endpoint_id = $1", P.Text(result.EndpointId));
            }
            else
            {
                batch.Add("""
                    UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                        failing = failing OR consecutive_failures + 1 >= $2
                    WHERE endpoint_id = $1
                    """, P.Text(result.EndpointId), P.Int(result.FailingAfter));
            }
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WebhookDeliveryInfo>> ListWebhookDeliveriesAsync(TenantId tenant, WebhookDeliveryQuery query,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        var list = new List<WebhookDeliveryInfo>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT d.delivery_id, d.endpoint_id, d.event_id, o.type, d.status, d.attempts, d.created_at, d.next_attempt_at
            FROM webhook_deliveries d JOIN webhook_outbox o ON o.event_id = d.event_id
            WHERE d.org_id = $1 AND d.env = $2 AND ($3::text IS NULL OR d.endpoint_id = $3) AND ($4::text IS NULL OR d.status = $4)
                AND ($5::text IS NULL OR d.delivery_id < $5)
            ORDER BY d.delivery_id DESC LIMIT $6
            """, conn))
        {
            cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Org(tenant), P.Env(tenant), P.Text(query.EndpointId),
                P.Text(query.Status is { } s ? StatusName(s) : null), P.Text(query.BeforeId), P.Int(query.Limit) });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                list.Add(new WebhookDeliveryInfo(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseStatus(r.GetString(4)),
                    r.GetInt32(5), RowCodec.FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : RowCodec.FromMs(r.GetInt64(7)), []));
            }
        }
        for (var i = 0; i < list.Count; i++)
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT at, http_status, duration_ms, error, response_body FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt_no
                """, conn);
            cmd.Parameters.Add(P.Text(list[i].Id));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var attempts = new List<WebhookAttempt>();
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                attempts.Add(new WebhookAttempt(RowCodec.FromMs(r.GetInt64(0)), r.IsDBNull(1) ? null : r.GetInt32(1), r.GetInt64(2),
                    r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4)));
            }
            list[i] = list[i] with { AttemptLog = attempts };
        }
        return list;
    }

    public async Task<bool> RedeliverWebhookAsync(TenantId tenant, string deliveryId, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("""
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, lease_until = 0
            WHERE delivery_id = $1 AND org_id = $2 AND env = $3
            """);
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Text(deliveryId), P.Org(tenant), P.Env(tenant), P.Long(RowCodec.Ms(now)) });
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    private static string StatusName(WebhookAttemptResult r) =>
        r.Delivered ? "delivered" : r.RetryAt is null ? "failed" : "pending";

    private static string StatusName(WebhookDeliveryStatus s) => s switch
    {
        WebhookDeliveryStatus.Delivered => "delivered",
        WebhookDeliveryStatus.Failed => "failed",
        _ => "pending",
    };

    private static WebhookDeliveryStatus ParseStatus(string s) => s switch
    {
        "delivered" => WebhookDeliveryStatus.Delivered,
        "failed" => WebhookDeliveryStatus.Failed,
        _ => WebhookDeliveryStatus.Pending,
    };
}
