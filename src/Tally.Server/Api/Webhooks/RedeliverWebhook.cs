using Tally.Contracts;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.redeliver</c>: makes a delivery due now, whatever its state; the <c>webhook-id</c> stays the same.</summary>
internal static class RedeliverWebhook
{
    public static async Task<Reply> Handle(Call<RedeliverWebhookParams> call)
    {
        var t = call.Tenant;
        var id = call.Request.DeliveryId;
        if (string.IsNullOrWhiteSpace(id))
        {
            return Errors.Invalid(t, "delivery_id: must not be empty");
        }
        return await call.Webhooks().RedeliverWebhookAsync(t, id, call.Clock.Now, call.Ct).ConfigureAwait(false)
            ? Reply.Ok(new WebhookDeliveryQueued { DeliveryId = id }, TallyJsonContext.Default.WebhookDeliveryQueued)
            : Reply.Error(404, ErrorCodes.WebhookDeliveryNotFound, $"Webhook delivery {id} not found", t);
    }
}
