using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary>
/// <c>webhooks.create</c>: a new endpoint; its signing secret is in this answer only. The endpoint receives events
/// committed after it was created (the outbox is fanned out at dispatch to the endpoints that existed at commit).
/// Not kept for idempotent replay, since that would store the secret in a second place.
/// </summary>
internal static class CreateWebhook
{
    public static async Task<Reply> Handle(Call<CreateWebhookParams> call)
    {
        var t = call.Tenant;
        if (Check(t, call.Request, call.WebhookOptions().AllowPrivate) is { } invalid)
        {
            return invalid;
        }
        var endpoint = Endpoint(t, call.Request, call.Ids.NewId("whe_"), WebhookSigning.NewSecret(), call.Clock.Now);
        await call.Webhooks().CreateWebhookAsync(endpoint, call.Ct).ConfigureAwait(false);
        return Reply.Ok(new WebhookSecretResponse { Id = endpoint.Id, Secret = endpoint.Secret }, TallyJsonContext.Default.WebhookSecretResponse);
    }

    /// <summary>The decision before the store: null when the request is acceptable, else the 400 naming the field.</summary>
    public static Reply? Check(TenantId t, CreateWebhookParams r, bool allowPrivate) =>
        WebhookUrls.Problem(r.Url, t.Env, allowPrivate) is { } problem
            ? Errors.Invalid(t, problem)
            : WebhookWire.CheckFields(t, r.Events, r.Description);

    /// <summary>The endpoint to store: an empty filter means every event; repeated event types count once.</summary>
    public static WebhookEndpoint Endpoint(TenantId t, CreateWebhookParams r, string id, string secret, DateTimeOffset now) => new()
    {
        Id = id,
        Tenant = t,
        Url = r.Url,
        Events = r.Events is { Count: > 0 } events ? [.. events.Distinct(StringComparer.Ordinal)] : null,
        Description = r.Description,
        Secret = secret,
        CreatedAt = now,
    };
}
