using Tally.Contracts;
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
        var r = call.Request;
        if (WebhookUrls.Problem(r.Url, t.Env, call.WebhookOptions().AllowPrivate) is { } problem)
        {
            return Errors.Invalid(t, problem);
        }
        if (WebhookWire.CheckFields(t, r.Events, r.Description) is { } invalid)
        {
            return invalid;
        }
        var endpoint = new WebhookEndpoint
        {
            Id = call.Ids.NewId("whe_"),
            Tenant = t,
            Url = r.Url,
            Events = r.Events is { Count: > 0 } events ? [.. events.Distinct(StringComparer.Ordinal)] : null,
            Description = r.Description,
            Secret = WebhookSigning.NewSecret(),
            CreatedAt = call.Clock.Now,
        };
        await call.Webhooks().CreateWebhookAsync(endpoint, call.Ct).ConfigureAwait(false);
        return Reply.Ok(new WebhookSecretResponse { Id = endpoint.Id, Secret = endpoint.Secret }, TallyJsonContext.Default.WebhookSecretResponse);
    }
}
