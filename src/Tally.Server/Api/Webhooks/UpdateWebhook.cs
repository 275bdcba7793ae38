using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.update</c>: replaces the fields given (url, events, description, disabled); answers the endpoint.</summary>
internal static class UpdateWebhook
{
    public static async Task<Reply> Handle(Call<UpdateWebhookParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (Check(t, r, call.WebhookOptions().AllowPrivate) is { } invalid)
        {
            return invalid;
        }
        var store = call.Webhooks();
        if (await store.GetWebhookAsync(t, r.Id, call.Ct).ConfigureAwait(false) is not { } current)
        {
            return WebhookWire.NotFound(t, r.Id);
        }
        var updated = Apply(current, r);
        return await store.UpdateWebhookAsync(updated, call.Ct).ConfigureAwait(false)
            ? Reply.Ok(updated.ToWire(), TallyJsonContext.Default.WebhookEndpointInfo)
            : WebhookWire.NotFound(t, r.Id);
    }

    /// <summary>The decision before the store: null when the request is acceptable, else the 400 naming the field.</summary>
    public static Reply? Check(TenantId t, UpdateWebhookParams r, bool allowPrivate)
    {
        if (string.IsNullOrWhiteSpace(r.Id))
        {
            return Errors.Invalid(t, "id: must not be empty");
        }
        if (r.Url is not null && WebhookUrls.Problem(r.Url, t.Env, allowPrivate) is { } problem)
        {
            return Errors.Invalid(t, problem);
        }
        return WebhookWire.CheckFields(t, r.Events, r.Description);
    }

    /// <summary>The decision: the endpoint with the given fields replaced; an empty event list means every event again.</summary>
    public static WebhookEndpoint Apply(WebhookEndpoint current, UpdateWebhookParams r) => current with
    {
        Url = r.Url ?? current.Url,
        Events = r.Events is null ? current.Events : r.Events.Count == 0 ? null : [.. r.Events.Distinct(StringComparer.Ordinal)],
        Description = r.Description ?? current.Description,
        Disabled = r.Disabled ?? current.Disabled,
    };
}
