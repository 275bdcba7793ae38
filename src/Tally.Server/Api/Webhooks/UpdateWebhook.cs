using Tally.Contracts;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.update</c>: replaces the fields given (url, events, description, disabled); answers the endpoint.</summary>
internal static class UpdateWebhook
{
    public static async Task<Reply> Handle(Call<UpdateWebhookParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (string.IsNullOrWhiteSpace(r.Id))
        {
            return Errors.Invalid(t, "id: must not be empty");
        }
        if (r.Url is not null && WebhookUrls.Problem(r.Url, t.Env, call.WebhookOptions().AllowPrivate) is { } problem)
        {
            return Errors.Invalid(t, problem);
        }
        if (WebhookWire.CheckFields(t, r.Events, r.Description) is { } invalid)
        {
            return invalid;
        }
        var store = call.Webhooks();
        if (await store.GetWebhookAsync(t, r.Id, call.Ct).ConfigureAwait(false) is not { } current)
        {
            return WebhookWire.NotFound(t, r.Id);
        }
        var updated = current with
        {
            Url = r.Url ?? current.Url,
            Events = r.Events is null ? current.Events : r.Events.Count == 0 ? null : [.. r.Events.Distinct(StringComparer.Ordinal)],
            Description = r.Description ?? current.Description,
            Disabled = r.Disabled ?? current.Disabled,
        };
        return await store.UpdateWebhookAsync(updated, call.Ct).ConfigureAwait(false)
            ? Reply.Ok(updated.ToWire(), TallyJsonContext.Default.WebhookEndpointInfo)
            : WebhookWire.NotFound(t, r.Id);
    }
}
