using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.delete</c>: the endpoint and its delivery log go; pending deliveries to it are dropped.</summary>
internal static class DeleteWebhook
{
    public static async Task<Reply> Handle(Call<WebhookIdParams> call)
    {
        var t = call.Tenant;
        if (WebhookWire.CheckId(t, call.Request) is { } invalid)
        {
            return invalid;
        }
        return Answer(t, call.Request.Id, await call.Webhooks().DeleteWebhookAsync(t, call.Request.Id, call.Ct).ConfigureAwait(false));
    }

    /// <summary>The decision on what the store did: success, or a 404 when there was no such endpoint.</summary>
    public static Reply Answer(TenantId t, string id, bool deleted) => deleted ? Reply.Success : WebhookWire.NotFound(t, id);
}
