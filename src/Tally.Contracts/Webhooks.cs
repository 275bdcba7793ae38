using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>webhooks.create</c>: a new endpoint of the caller's organization and environment.</summary>
public sealed class CreateWebhookParams
{
    /// <summary>Where events are POSTed: an absolute <c>http</c> or <c>https</c> URL.</summary>
    [JsonRequired]
    public string Url { get; set; } = "";

    /// <summary>Event types to send (e.g. <c>balances.limit_reached</c>); omitted or empty means all.</summary>
    public List<string>? Events { get; set; }

    /// <summary>A note for people (at most 256 characters).</summary>
    public string? Description { get; set; }
}

/// <summary>Body of <c>webhooks.update</c>: fields present replace the stored ones.</summary>
public sealed class UpdateWebhookParams
{
    /// <summary>Id of the endpoint (<c>whe_…</c>).</summary>
    [JsonRequired]
    public string Id { get; set; } = "";

    /// <summary>New URL.</summary>
    public string? Url { get; set; }

    /// <summary>New event filter; an empty list means all events.</summary>
    public List<string>? Events { get; set; }

    /// <summary>New description.</summary>
    public string? Description { get; set; }

    /// <summary>True stops deliveries to the endpoint (events are not queued for it meanwhile); false resumes them.</summary>
    public bool? Disabled { get; set; }
}

/// <summary>Body of routes that name one endpoint: <c>webhooks.delete</c>, <c>webhooks.rotate_secret</c>, <c>webhooks.test</c>.</summary>
public sealed class WebhookIdParams
{
    /// <summary>Id of the endpoint (<c>whe_…</c>).</summary>
    [JsonRequired]
    public string Id { get; set; } = "";
}

/// <summary>Body of <c>webhooks.deliveries</c>.</summary>
public sealed class ListWebhookDeliveriesParams
{
    /// <summary>Only deliveries to this endpoint.</summary>
    public string? WebhookId { get; set; }

    /// <summary>Only deliveries in this state: <c>pending</c>, <c>delivered</c> or <c>failed</c>.</summary>
    public string? Status { get; set; }

    /// <summary>The <c>next_cursor</c> of the previous page.</summary>
    public string? Cursor { get; set; }

    /// <summary>Page size, 1 to 100 (default 20).</summary>
    public int? Limit { get; set; }
}

/// <summary>Body of <c>webhooks.redeliver</c>.</summary>
public sealed class RedeliverWebhookParams
{
    /// <summary>Id of the delivery (<c>whd_…</c>) to send again, with the same <c>webhook-id</c>.</summary>
    [JsonRequired]
    public string DeliveryId { get; set; } = "";
}

/// <summary>A webhook endpoint as listed: never its secret.</summary>
public sealed class WebhookEndpointInfo
{
    /// <summary>Id of the endpoint (<c>whe_…</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>Where events are POSTed.</summary>
    public string Url { get; set; } = "";

    /// <summary>Event types sent; empty means all.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>The note given at creation or update.</summary>
    public string? Description { get; set; }

    /// <summary>Environment: <c>sandbox</c> or <c>live</c>.</summary>
    public string Env { get; set; } = "";

    /// <summary>True when deliveries are stopped by <c>webhooks.update</c>.</summary>
    public bool Disabled { get; set; }

    /// <summary>True after repeated failed deliveries; cleared by the next success.</summary>
    public bool Failing { get; set; }

    /// <summary>Creation time (ms since epoch).</summary>
    public long CreatedAt { get; set; }
}

/// <summary>Answer of <c>webhooks.create</c> and <c>webhooks.rotate_secret</c>: the signing secret, shown this once.</summary>
public sealed class WebhookSecretResponse
{
    /// <summary>Id of the endpoint.</summary>
    public string Id { get; set; } = "";

    /// <summary>The signing secret (<c>whsec_</c> and base64); verify <c>webhook-signature</c> with it.</summary>
    public string Secret { get; set; } = "";
}

/// <summary>One HTTP attempt of a delivery.</summary>
public sealed class WebhookAttemptInfo
{
    /// <summary>When the attempt started (ms since epoch).</summary>
    public long At { get; set; }

    /// <summary>HTTP status answered; null when no answer came (timeout, refused connection).</summary>
    public int? Status { get; set; }

    /// <summary>How long the attempt took, in milliseconds.</summary>
    public long DurationMs { get; set; }

    /// <summary>Why the attempt failed, when it did.</summary>
    public string? Error { get; set; }

    /// <summary>The first 1 KB of the response body.</summary>
    public string? ResponseBody { get; set; }
}

/// <summary>A delivery of one event to one endpoint.</summary>
public sealed class WebhookDelivery
{
    /// <summary>Id of the delivery (<c>whd_…</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The endpoint.</summary>
    public string WebhookId { get; set; } = "";

    /// <summary>The event's id: the <c>webhook-id</c> header, the same on every attempt.</summary>
    public string EventId { get; set; } = "";

    /// <summary>The event type.</summary>
    public string EventType { get; set; } = "";

    /// <summary><c>pending</c>, <c>delivered</c> or <c>failed</c> (no more retries).</summary>
    public string Status { get; set; } = "";

    /// <summary>When the delivery was queued (ms since epoch).</summary>
    public long CreatedAt { get; set; }

    /// <summary>When the next attempt is due (ms since epoch); null when none is.</summary>
    public long? NextAttemptAt { get; set; }

    /// <summary>The attempts, oldest first.</summary>
    public List<WebhookAttemptInfo> Attempts { get; set; } = [];
}

/// <summary>Answer of <c>webhooks.test</c> and <c>webhooks.redeliver</c>: the delivery queued.</summary>
public sealed class WebhookDeliveryQueued
{
    /// <summary>Id of the delivery (<c>whd_…</c>).</summary>
    public string DeliveryId { get; set; } = "";
}
