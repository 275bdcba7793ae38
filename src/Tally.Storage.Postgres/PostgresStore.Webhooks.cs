using System.Text.Json;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

/// <summary>Webhook endpoints and the outbox rows a unit writes in its own transaction.</summary>
public sealed partial class PostgresStore : IWebhookStore
{
    private const string EndpointColumns = """
        endpoint_id, org_id, env, url, events, description, disabled, secret, previous_secret, previous_secret_expires_at,
        created_at, consecutive_failures, failing
        """;

    private static void WriteOutbox(NpgsqlBatch b, TenantId t, IReadOnlyList<Notification> notifications, DateTimeOffset now)
    {
        foreach (var n in notifications)
        {
            b.Add("""
                INSERT INTO webhook_outbox (event_id, org_id, env, type, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                """, P.Text(WebhookOutbox.NewId("msg_", now)), P.Org(t), P.Env(t), P.Text(n.Type), P.Text(WebhookOutbox.Payload(n)),
                P.Long(RowCodec.Ms(now)));
        }
    }

    public async Task CreateWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        await using var cmd = _dataSource.CreateCommand($"""
            INSERT INTO webhook_endpoints ({EndpointColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, false)
            """);
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Text(endpoint.Id), P.Org(endpoint.Tenant), P.Env(endpoint.Tenant), P.Text(endpoint.Url),
            P.Text(EventsJson(endpoint.Events)), P.Text(endpoint.Description), new NpgsqlParameter<bool> { TypedValue = endpoint.Disabled },
            P.Text(endpoint.Secret), P.Text(endpoint.PreviousSecret), P.Long(RowCodec.Ms(endpoint.PreviousSecretExpiresAt)),
            P.Long(RowCodec.Ms(endpoint.CreatedAt)) });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(TenantId tenant, CancellationToken ct)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await ListWebhooksAsync(conn, tenant, ct).ConfigureAwait(false);
    }

    private static async Task<List<WebhookEndpoint>> ListWebhooksAsync(NpgsqlConnection conn, TenantId tenant, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE org_id = $1 AND env = $2 ORDER BY created_at, endpoint_id", conn);
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Org(tenant), P.Env(tenant) });
        return await ReadEndpointsAsync(cmd, ct).ConfigureAwait(false);
    }

    public async Task<WebhookEndpoint?> GetWebhookAsync(TenantId tenant, string id, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand(
            $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE org_id = $1 AND env = $2 AND endpoint_id = $3");
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Org(tenant), P.Env(tenant), P.Text(id) });
        return (await ReadEndpointsAsync(cmd, ct).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<bool> UpdateWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        await using var cmd = _dataSource.CreateCommand("""
            UPDATE webhook_endpoints SET url = $4, events = $5, description = $6, disabled = $7, secret = $8, previous_secret = $9,
                previous_secret_expires_at = $10
            WHERE endpoint_id = $1 AND org_id = $2 AND env = $3
            """);
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Text(endpoint.Id), P.Org(endpoint.Tenant), P.Env(endpoint.Tenant), P.Text(endpoint.Url),
            P.Text(EventsJson(endpoint.Events)), P.Text(endpoint.Description), new NpgsqlParameter<bool> { TypedValue = endpoint.Disabled },
            P.Text(endpoint.Secret), P.Text(endpoint.PreviousSecret), P.Long(RowCodec.Ms(endpoint.PreviousSecretExpiresAt)) });
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    public async Task<bool> DeleteWebhookAsync(TenantId tenant, string id, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("""
            WITH e AS (DELETE FROM webhook_endpoints WHERE endpoint_id = $1 AND org_id = $2 AND env = $3 RETURNING endpoint_id),
            d AS (DELETE FROM webhook_deliveries WHERE endpoint_id IN (SELECT endpoint_id FROM e) RETURNING delivery_id),
            a AS (DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT delivery_id FROM d))
            SELECT count(*) FROM e
            """);
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Text(id), P.Org(tenant), P.Env(tenant) });
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! > 0;
    }

    public async Task<string> EnqueueDirectAsync(WebhookEndpoint endpoint, string eventId, string type, string payload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var now = RowCodec.Ms(_time.GetUtcNow());
        var deliveryId = WebhookOutbox.NewId("whd_", _time.GetUtcNow());
        await using var cmd = _dataSource.CreateCommand("""
            WITH o AS (
                INSERT INTO webhook_outbox (event_id, org_id, env, type, payload, created_at, target_endpoint_id, fanned_out)
                VALUES ($2, $3, $4, $5, $6, $7, $8, true))
            INSERT INTO webhook_deliveries (delivery_id, org_id, env, endpoint_id, event_id, status, next_attempt_at, created_at)
            VALUES ($1, $3, $4, $8, $2, 'pending', $7, $7)
            """);
        cmd.Parameters.AddRange(new NpgsqlParameter[] { P.Text(deliveryId), P.Text(eventId), P.Org(endpoint.Tenant), P.Env(endpoint.Tenant), P.Text(type),
            P.Text(payload), P.Long(now), P.Text(endpoint.Id) });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return deliveryId;
    }

    private static async Task<List<WebhookEndpoint>> ReadEndpointsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<WebhookEndpoint>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new WebhookEndpoint
            {
                Id = r.GetString(0),
                Tenant = new TenantId(r.GetString(1), RowCodec.ParseEnv(r.GetString(2))),
                Url = r.GetString(3),
                Events = r.IsDBNull(4) ? null : JsonSerializer.Deserialize<string[]>(r.GetString(4)),
                Description = r.IsDBNull(5) ? null : r.GetString(5),
                Disabled = r.GetBoolean(6),
                Secret = r.GetString(7),
                PreviousSecret = r.IsDBNull(8) ? null : r.GetString(8),
                PreviousSecretExpiresAt = r.IsDBNull(9) ? null : RowCodec.FromMs(r.GetInt64(9)),
                CreatedAt = RowCodec.FromMs(r.GetInt64(10)),
                ConsecutiveFailures = r.GetInt32(11),
                Failing = r.GetBoolean(12),
            });
        }
        return list;
    }

    private static string? EventsJson(IReadOnlyList<string>? events) =>
        events is { Count: > 0 } ? JsonSerializer.Serialize(events.ToArray()) : null;
}
