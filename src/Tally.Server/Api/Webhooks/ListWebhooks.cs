using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.list</c>: the caller's environment's endpoints, oldest first; never a secret.</summary>
internal static class ListWebhooks
{
    public static async Task<Reply> Handle(Call<EmptyParams> call) =>
        Answer(await call.Webhooks().ListWebhooksAsync(call.Tenant, call.Ct).ConfigureAwait(false));

    /// <summary>The decision: the endpoints the store listed, in its order, as the wire shows them.</summary>
    public static Reply Answer(IReadOnlyList<WebhookEndpoint> list) =>
        Reply.Ok(new ListResponse<WebhookEndpointInfo> { List = list.Select(e => e.ToWire()).ToList() },
            TallyJsonContext.Default.ListResponseWebhookEndpointInfo);
}
