using System.Text.Json;
using Tally.Contracts;
using Tally.Server.Http;
using Tally.Storage;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.test</c>: queues a <c>webhook.test</c> event for this endpoint only, delivered like any other.</summary>
internal static class TestWebhook
{
    public static async Task<Reply> Handle(Call<WebhookIdParams> call)
    {
        var t = call.Tenant;
        var id = call.Request.Id;
        if (string.IsNullOrWhiteSpace(id))
        {
            return Errors.Invalid(t, "id: must not be empty");
        }
        var store = call.Webhooks();
        if (await store.GetWebhookAsync(t, id, call.Ct).ConfigureAwait(false) is not { } endpoint)
        {
            return WebhookWire.NotFound(t, id);
        }
        var now = call.Clock.Now;
        var payload = "{\"type\":\"webhook.test\",\"data\":{\"webhook_id\":" + JsonSerializer.Serialize(id, TallyJsonContext.Default.String)
            + ",\"sent_at\":" + now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}";
        var deliveryId = await store.EnqueueDirectAsync(endpoint, WebhookOutbox.NewId("msg_", now), "webhook.test", payload, call.Ct)
            .ConfigureAwait(false);
        return Reply.Ok(new WebhookDeliveryQueued { DeliveryId = deliveryId }, TallyJsonContext.Default.WebhookDeliveryQueued);
    }
}
