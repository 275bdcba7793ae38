using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary>
/// <c>webhooks.*</c>: the webhook endpoints of the calling key's organization and environment, and their deliveries.
/// Events are signed per the Standard Webhooks specification with the endpoint's <c>whsec_…</c> secret, which is
/// shown only by <see cref="CreateAsync"/> and <see cref="RotateSecretAsync"/>.
/// </summary>
public sealed class WebhooksClient
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly TallyTransport _transport;

    internal WebhooksClient(TallyTransport transport) => _transport = transport;

    /// <summary>
    /// <c>webhooks.create</c>: a new endpoint; it receives events committed after it exists. Not idempotent (the
    /// answer holds a secret the server does not replay): a retry after a lost answer may make a second endpoint.
    /// </summary>
    /// <param name="parameters">URL (http or https), optional event filter and description.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The endpoint's id and signing secret, which cannot be read again.</returns>
    /// <exception cref="ArgumentException">Empty URL.</exception>
    /// <exception cref="TallyApiException">The server refused the call (400 <c>invalid_inputs</c> naming the field).</exception>
    public Task<WebhookSecretResponse> CreateAsync(CreateWebhookParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Url, "CreateWebhookParams.Url", nameof(parameters));
        return _transport.PostAsync("webhooks.create", parameters, C.Default.CreateWebhookParams, C.Default.WebhookSecretResponse, mutating: false, ct);
    }

    /// <summary><c>webhooks.list</c>: every endpoint of the caller's environment, oldest first; never a secret.</summary>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>All endpoints (unpaginated).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<ListResponse<WebhookEndpointInfo>> ListAsync(CancellationToken ct = default) =>
        _transport.SendAsync("webhooks.list", EmptyObject, C.Default.ListResponseWebhookEndpointInfo, null, ct);

    /// <summary><c>webhooks.update</c>: replaces the fields given.</summary>
    /// <param name="parameters">The endpoint's id and the fields to change.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The endpoint as stored.</returns>
    /// <exception cref="ArgumentException">Empty id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>webhook_not_found</c>, 400 <c>invalid_inputs</c>).</exception>
    public Task<WebhookEndpointInfo> UpdateAsync(UpdateWebhookParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Id, "UpdateWebhookParams.Id", nameof(parameters));
        return _transport.PostAsync("webhooks.update", parameters, C.Default.UpdateWebhookParams, C.Default.WebhookEndpointInfo, mutating: true, ct);
    }

    /// <summary><c>webhooks.delete</c>: the endpoint and its deliveries go.</summary>
    /// <param name="parameters">The endpoint's id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>webhook_not_found</c>).</exception>
    public Task<SuccessResponse> DeleteAsync(WebhookIdParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Id, "WebhookIdParams.Id", nameof(parameters));
        return _transport.PostAsync("webhooks.delete", parameters, C.Default.WebhookIdParams, C.Default.SuccessResponse, mutating: true, ct);
    }

    /// <summary>
    /// <c>webhooks.rotate_secret</c>: a new signing secret; for 24 hours deliveries carry signatures with both the new
    /// and the previous secret. Not idempotent: a retry rotates again.
    /// </summary>
    /// <param name="parameters">The endpoint's id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The new secret, which cannot be read again.</returns>
    /// <exception cref="ArgumentException">Empty id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>webhook_not_found</c>).</exception>
    public Task<WebhookSecretResponse> RotateSecretAsync(WebhookIdParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Id, "WebhookIdParams.Id", nameof(parameters));
        return _transport.PostAsync("webhooks.rotate_secret", parameters, C.Default.WebhookIdParams, C.Default.WebhookSecretResponse,
            mutating: false, ct);
    }

    /// <summary><c>webhooks.test</c>: queues a <c>webhook.test</c> event for this endpoint only.</summary>
    /// <param name="parameters">The endpoint's id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The delivery queued.</returns>
    /// <exception cref="ArgumentException">Empty id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>webhook_not_found</c>).</exception>
    public Task<WebhookDeliveryQueued> TestAsync(WebhookIdParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Id, "WebhookIdParams.Id", nameof(parameters));
        return _transport.PostAsync("webhooks.test", parameters, C.Default.WebhookIdParams, C.Default.WebhookDeliveryQueued, mutating: false, ct);
    }

    /// <summary><c>webhooks.deliveries</c>: deliveries newest first, each with its attempts.</summary>
    /// <param name="parameters">Optional endpoint, status, cursor and page size.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>One page and the cursor of the next.</returns>
    /// <exception cref="TallyApiException">The server refused the call (400 <c>invalid_inputs</c> or <c>invalid_cursor</c>).</exception>
    public Task<CursorListResponse<WebhookDelivery>> DeliveriesAsync(ListWebhookDeliveriesParams? parameters = null, CancellationToken ct = default) =>
        _transport.PostAsync("webhooks.deliveries", parameters ?? new ListWebhookDeliveriesParams(), C.Default.ListWebhookDeliveriesParams,
            C.Default.CursorListResponseWebhookDelivery, mutating: false, ct);

    /// <summary><c>webhooks.redeliver</c>: sends a delivery again now, with the same <c>webhook-id</c>.</summary>
    /// <param name="parameters">The delivery's id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The delivery queued.</returns>
    /// <exception cref="ArgumentException">Empty id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>webhook_delivery_not_found</c>).</exception>
    public Task<WebhookDeliveryQueued> RedeliverAsync(RedeliverWebhookParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.DeliveryId, "RedeliverWebhookParams.DeliveryId", nameof(parameters));
        return _transport.PostAsync("webhooks.redeliver", parameters, C.Default.RedeliverWebhookParams, C.Default.WebhookDeliveryQueued,
            mutating: true, ct);
    }
}
