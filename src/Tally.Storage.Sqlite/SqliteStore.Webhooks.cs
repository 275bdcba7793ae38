using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Sqlite;

/// <summary>
/// Webhook endpoints, the outbox and deliveries. One process owns a SQLite file, so a claim only has to keep this
/// node's dispatcher from taking a delivery twice; it is still a conditional update through the single writer.
/// </summary>
public sealed partial class SqliteStore : IWebhookStore
{
    private const string EndpointColumns = """
        endpoint_id, org_id, env, url, events, description, disabled, secret, previous_secret, previous_secret_expires_at,
        created_at, consecutive_failures, failing
        """;

    private static void WriteOutbox(ISqlSink w, TenantId t, IReadOnlyList<Notification> notifications, DateTimeOffset now)
    {
        foreach (var n in notifications)
        {
            w.Exec("""
                INSERT INTO webhook_outbox (event_id, org_id, env, type, payload, created_at) VALUES ($0, $1, $2, $3, $4, $5)
                """, WebhookOutbox.NewId("msg_", now), t.OrgId, RowCodec.EnvName(t.Env), n.Type, WebhookOutbox.Payload(n), RowCodec.Ms(now));
        }
    }

    public Task CreateWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Pipeline.CommitAsync(w => w.Exec($"""
            INSERT INTO webhook_endpoints ({EndpointColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0)
            """, endpoint.Id, endpoint.Tenant.OrgId, endpoint.Tenant.EnvName, endpoint.Url, EventsJson(endpoint.Events), endpoint.Description,
            endpoint.Disabled ? 1 : 0, endpoint.Secret, endpoint.PreviousSecret, RowCodec.Ms(endpoint.PreviousSecretExpiresAt),
            RowCodec.Ms(endpoint.CreatedAt)), Pipeline.Epoch);
    }

    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(TenantId tenant, CancellationToken ct) =>
        await EndpointsAsync("org_id = $o AND env = $e ORDER BY created_at, endpoint_id", tenant, null, ct).ConfigureAwait(false);

    public async Task<WebhookEndpoint?> GetWebhookAsync(TenantId tenant, string id, CancellationToken ct) =>
        (await EndpointsAsync("org_id = $o AND env = $e AND endpoint_id = $id", tenant, id, ct).ConfigureAwait(false)).FirstOrDefault();

    public async Task<bool> UpdateWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var changed = 0;
        await Pipeline.CommitAsync(w => changed = w.Exec("""
            UPDATE webhook_endpoints SET url = $3, events = $4, description = $5, disabled = $6, secret = $7, previous_secret = $8,
                previous_secret_expires_at = $9
            WHERE endpoint_id = $0 AND org_id = $1 AND env = $2
            """, endpoint.Id, endpoint.Tenant.OrgId, endpoint.Tenant.EnvName, endpoint.Url, EventsJson(endpoint.Events), endpoint.Description,
            endpoint.Disabled ? 1 : 0, endpoint.Secret, endpoint.PreviousSecret, RowCodec.Ms(endpoint.PreviousSecretExpiresAt)), Pipeline.Epoch)
            .ConfigureAwait(false);
        return changed > 0;
    }

    public async Task<bool> DeleteWebhookAsync(TenantId tenant, string id, CancellationToken ct)
    {
        var changed = 0;
        await Pipeline.CommitAsync(w =>
        {
            changed = w.Exec("DELETE FROM webhook_endpoints WHERE endpoint_id = $0 AND org_id = $1 AND env = $2", id, tenant.OrgId, tenant.EnvName);
            if (changed > 0)
            {
                w.Exec("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT delivery_id FROM webhook_deliveries WHERE endpoint_id = $0)", id);
                w.Exec("DELETE FROM webhook_deliveries WHERE endpoint_id = $0", id);
            }
        }, Pipeline.Epoch).ConfigureAwait(false);
        return changed > 0;
    }

    public async Task<string> EnqueueDirectAsync(WebhookEndpoint endpoint, string eventId, string type, string payload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var now = _time.GetUtcNow();
        var deliveryId = WebhookOutbox.NewId("whd_", now);
        var t = endpoint.Tenant;
        await Pipeline.CommitAsync(w =>
        {
            w.Exec("""
                INSERT INTO webhook_outbox (event_id, org_id, env, type, payload, created_at, target_endpoint_id, fanned_out)
                VALUES ($0, $1, $2, $3, $4, $5, $6, 1)
                """, eventId, t.OrgId, t.EnvName, type, payload, RowCodec.Ms(now), endpoint.Id);
            w.Exec(InsertDeliverySql, deliveryId, t.OrgId, t.EnvName, endpoint.Id, eventId, RowCodec.Ms(now));
        }, Pipeline.Epoch).ConfigureAwait(false);
        return deliveryId;
    }

    private const string InsertDeliverySql = """
        INSERT INTO webhook_deliveries (delivery_id, org_id, env, endpoint_id, event_id, status, next_attempt_at, created_at)
        VALUES ($0, $1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (event_id, endpoint_id) DO NOTHING
        """;

    private async Task<List<WebhookEndpoint>> EndpointsAsync(string where, TenantId tenant, string? id, CancellationToken ct)
    {
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE {where}";
        cmd.Parameters.AddWithValue("$o", tenant.OrgId);
        cmd.Parameters.AddWithValue("$e", tenant.EnvName);
        if (id is not null)
        {
            cmd.Parameters.AddWithValue("$id", id);
        }
        return await ReadEndpointsAsync(cmd, ct).ConfigureAwait(false);
    }

    private static async Task<List<WebhookEndpoint>> ReadEndpointsAsync(SqliteCommand cmd, CancellationToken ct)
    {
        using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
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
                Disabled = r.GetInt64(6) != 0,
                Secret = r.GetString(7),
                PreviousSecret = r.IsDBNull(8) ? null : r.GetString(8),
                PreviousSecretExpiresAt = r.IsDBNull(9) ? null : RowCodec.FromMs(r.GetInt64(9)),
                CreatedAt = RowCodec.FromMs(r.GetInt64(10)),
                ConsecutiveFailures = (int)r.GetInt64(11),
                Failing = r.GetInt64(12) != 0,
            });
        }
        return list;
    }

    private static string? EventsJson(IReadOnlyList<string>? events) =>
        events is { Count: > 0 } ? JsonSerializer.Serialize(events.ToArray()) : null;
}
