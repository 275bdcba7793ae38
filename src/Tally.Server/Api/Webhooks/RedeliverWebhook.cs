using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.redeliver</c>: makes a delivery due now, whatever its state; the <c>webhook-id</c> stays the same.</summary>
internal static class RedeliverWebhook
{
    public static async Task<Reply> Handle(Call<RedeliverWebhookParams> call)
    {
        var t = call.Tenant;
        if (Check(t, call.Request) is { } invalid)
        {
            return invalid;
        }
        var id = call.Request.DeliveryId;
        return Answer(t, id, await call.Webhooks().RedeliverWebhookAsync(t, id, call.Clock.Now, call.Ct).ConfigureAwait(false));
    }

    /// <summary>The decision before the store: null when a delivery id is given, else the 400 naming the field.</summary>
    public static Reply? Check(TenantId t, RedeliverWebhookParams r) =>
        string.IsNullOrWhiteSpace(r.DeliveryId) ? Errors.Invalid(t, "delivery_id: must not be empty") : null;

    /// <summary>The decision on what the store did: the queued delivery, or a 404 when there was no such delivery.</summary>
    public static Reply Answer(TenantId t, string id, bool queued) => queued
        ? Reply.Ok(new WebhookDeliveryQueued { DeliveryId = id }, TallyJsonContext.Default.WebhookDeliveryQueued)
        : Reply.Error(404, ErrorCodes.WebhookDeliveryNotFound, $"Webhook delivery {id} not found", t);
}
