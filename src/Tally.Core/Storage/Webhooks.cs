using Tally.Core.Domain;

namespace Tally.Core.Storage;

/// <summary>
/// A webhook endpoint of a tenant. <see cref="Events"/> null or empty means every event type. During a secret
/// rotation the previous secret keeps signing (next to the new one) until <see cref="PreviousSecretExpiresAt"/>.
/// </summary>
public sealed record WebhookEndpoint
{
    public required string Id { get; init; }
    public required TenantId Tenant { get; init; }
    public required string Url { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public string? Description { get; init; }
    public bool Disabled { get; init; }
    public required string Secret { get; init; }
    public string? PreviousSecret { get; init; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Deliveries that failed in a row; reset by a success.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>Set after repeated failures; cleared by the next success.</summary>
    public bool Failing { get; init; }

    public bool Accepts(string type) => Events is not { Count: > 0 } || Events.Contains(type, StringComparer.Ordinal);
}

public enum WebhookDeliveryStatus
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>One HTTP attempt of a delivery.</summary>
public sealed record WebhookAttempt(
    DateTimeOffset At, int? HttpStatus, long DurationMs, string? Error, string? ResponseBody);

/// <summary>A delivery: one event to one endpoint, with its attempts (oldest first).</summary>
public sealed record WebhookDeliveryInfo(
    string Id,
    string EndpointId,
    string EventId,
    string EventType,
    WebhookDeliveryStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    IReadOnlyList<WebhookAttempt> AttemptLog);

/// <summary>A delivery claimed by one dispatcher until <c>lease</c> ends: what it needs to send it.</summary>
public sealed record WebhookClaim(
    string DeliveryId,
    WebhookEndpoint Endpoint,
    string EventId,
    string EventType,
    string Payload,
    int Attempts);

/// <summary>What happened to a claimed delivery's attempt, and when to try again (null: no more tries).</summary>
public sealed record WebhookAttemptResult(
    string DeliveryId,
    string EndpointId,
    WebhookAttempt Attempt,
    bool Delivered,
    DateTimeOffset? RetryAt,
    int FailingAfter);

public sealed record WebhookDeliveryQuery(string? EndpointId, WebhookDeliveryStatus? Status, string? BeforeId, int Limit);

/// <summary>
/// Webhook endpoints, the outbox and deliveries. Events enter the outbox in the transaction of the change that raised
/// them (see <see cref="CustomerChanges.Notifications"/>); the dispatcher fans each out to the endpoints that existed
/// when it was committed, and claims deliveries so that one node at a time sends each.
/// </summary>
public interface IWebhookStore
{
    Task CreateWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct);

    Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(TenantId tenant, CancellationToken ct);

    Task<WebhookEndpoint?> GetWebhookAsync(TenantId tenant, string id, CancellationToken ct);

    /// <summary>Replaces url, events, description, disabled and secrets; false when the endpoint does not exist.</summary>
    Task<bool> UpdateWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct);

    /// <summary>Deletes the endpoint and its deliveries; false when it does not exist.</summary>
    Task<bool> DeleteWebhookAsync(TenantId tenant, string id, CancellationToken ct);

    /// <summary>Puts an event in the outbox addressed to one endpoint only (<c>webhook.test</c>); returns the delivery id.</summary>
    Task<string> EnqueueDirectAsync(WebhookEndpoint endpoint, string eventId, string type, string payload, CancellationToken ct);

    /// <summary>
    /// Fans new outbox events out to endpoints, then claims up to <paramref name="limit"/> due deliveries until
    /// <paramref name="leaseUntil"/> (another node skips them meanwhile).
    /// </summary>
    Task<IReadOnlyList<WebhookClaim>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken ct);

    /// <summary>Records an attempt, moves the delivery on and updates the endpoint's failure count.</summary>
    Task RecordWebhookAttemptAsync(WebhookAttemptResult result, CancellationToken ct);

    /// <summary>Deliveries of the tenant, newest first, with their attempts.</summary>
    Task<IReadOnlyList<WebhookDeliveryInfo>> ListWebhookDeliveriesAsync(TenantId tenant, WebhookDeliveryQuery query, CancellationToken ct);

    /// <summary>Makes a delivery due again now (same event id); false when it does not exist.</summary>
    Task<bool> RedeliverWebhookAsync(TenantId tenant, string deliveryId, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Retention: deletes up to <paramref name="limit"/> finished deliveries (delivered, or failed for good) created
    /// before <paramref name="cutoff"/> and with no attempt since, with their attempts; then up to
    /// <paramref name="limit"/> fanned-out events from before <paramref name="cutoff"/> that no delivery refers to any
    /// more. A pending or retrying delivery, and an event not yet fanned out, are never touched. Returns the number of
    /// deliveries and events deleted.
    /// </summary>
    Task<int> PruneWebhooksAsync(DateTimeOffset cutoff, int limit, CancellationToken ct);
}
