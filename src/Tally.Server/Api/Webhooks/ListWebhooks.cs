using Tally.Contracts;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.list</c>: the caller's environment's endpoints, oldest first; never a secret.</summary>
internal static class ListWebhooks
{
    public static async Task<Reply> Handle(Call<EmptyParams> call)
    {
        var list = await call.Webhooks().ListWebhooksAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        return Reply.Ok(new ListResponse<WebhookEndpointInfo> { List = list.Select(e => e.ToWire()).ToList() },
            TallyJsonContext.Default.ListResponseWebhookEndpointInfo);
    }
}
