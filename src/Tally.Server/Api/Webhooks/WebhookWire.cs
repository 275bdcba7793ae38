using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Hosting;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

internal static class WebhookWire
{
    public const int MaxDescriptionLength = 256;

    /// <summary>The event types an endpoint can ask for.</summary>
    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "balances.usage_alert_triggered", "balances.limit_reached", "billing.updated", "webhook.test",
    };

    public static IWebhookStore Webhooks<T>(this Call<T> call) => call.Http.RequestServices.GetRequiredService<IWebhookStore>();

    public static WebhookOptions WebhookOptions<T>(this Call<T> call) => call.Http.RequestServices.GetRequiredService<WebhookOptions>();

    public static Reply NotFound(TenantId t, string id) => Reply.Error(404, ErrorCodes.WebhookNotFound, $"Webhook {id} not found", t);

    /// <summary>The decision before the store for a call naming one endpoint: null when an id is given, else the 400.</summary>
    public static Reply? CheckId(TenantId t, WebhookIdParams r) =>
        string.IsNullOrWhiteSpace(r.Id) ? Errors.Invalid(t, "id: must not be empty") : null;

    /// <summary>Null when the filter and description are acceptable, else the 400 naming the field.</summary>
    public static Reply? CheckFields(TenantId t, List<string>? events, string? description)
    {
        if (events is not null)
        {
            if (events.Count > EventTypes.Count)
            {
                return Errors.Invalid(t, $"events: at most {EventTypes.Count} entries");
            }
            foreach (var e in events)
            {
                if (e is null || !EventTypes.Contains(e))
                {
                    return Errors.Invalid(t, "events: each must be one of " + string.Join(", ", EventTypes.Order(StringComparer.Ordinal)));
                }
            }
        }
        if (description is { Length: > MaxDescriptionLength })
        {
            return Errors.Invalid(t, $"description: at most {MaxDescriptionLength} characters");
        }
        return null;
    }

    public static WebhookEndpointInfo ToWire(this WebhookEndpoint e) => new()
    {
        Id = e.Id,
        Url = e.Url,
        Events = e.Events?.ToList() ?? [],
        Description = e.Description,
        Env = e.Tenant.EnvName,
        Disabled = e.Disabled,
        Failing = e.Failing,
        CreatedAt = e.CreatedAt.ToUnixTimeMilliseconds(),
    };

    public static Contracts.WebhookDelivery ToWire(this WebhookDeliveryInfo d) => new()
    {
        Id = d.Id,
        WebhookId = d.EndpointId,
        EventId = d.EventId,
        EventType = d.EventType,
        Status = d.Status.ToString().ToLowerInvariant(),
        CreatedAt = d.CreatedAt.ToUnixTimeMilliseconds(),
        NextAttemptAt = d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt?.ToUnixTimeMilliseconds() : null,
        Attempts = d.AttemptLog.Select(a => new WebhookAttemptInfo
        {
            At = a.At.ToUnixTimeMilliseconds(),
            Status = a.HttpStatus,
            DurationMs = a.DurationMs,
            Error = a.Error,
            ResponseBody = a.ResponseBody,
        }).ToList(),
    };
}
