using Tally.Contracts;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.delete</c>: the endpoint and its delivery log go; pending deliveries to it are dropped.</summary>
internal static class DeleteWebhook
{
    public static async Task<Reply> Handle(Call<WebhookIdParams> call)
    {
        var t = call.Tenant;
        if (string.IsNullOrWhiteSpace(call.Request.Id))
        {
            return Errors.Invalid(t, "id: must not be empty");
        }
        return await call.Webhooks().DeleteWebhookAsync(t, call.Request.Id, call.Ct).ConfigureAwait(false)
            ? Reply.Success
            : WebhookWire.NotFound(t, call.Request.Id);
    }
}
