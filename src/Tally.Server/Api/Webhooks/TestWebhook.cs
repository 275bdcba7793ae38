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
        if (WebhookWire.CheckId(t, call.Request) is { } invalid)
        {
            return invalid;
        }
        var store = call.Webhooks();
        if (await store.GetWebhookAsync(t, id, call.Ct).ConfigureAwait(false) is not { } endpoint)
        {
            return WebhookWire.NotFound(t, id);
        }
        var now = call.Clock.Now;
        var deliveryId = await store.EnqueueDirectAsync(endpoint, WebhookOutbox.NewId("msg_", now), "webhook.test", Payload(id, now), call.Ct)
            .ConfigureAwait(false);
        return Reply.Ok(new WebhookDeliveryQueued { DeliveryId = deliveryId }, TallyJsonContext.Default.WebhookDeliveryQueued);
    }

    /// <summary>The decision: the body of the test event for endpoint <paramref name="id"/>, sent at <paramref name="now"/>.</summary>
    public static string Payload(string id, DateTimeOffset now) =>
        "{\"type\":\"webhook.test\",\"data\":{\"webhook_id\":" + JsonSerializer.Serialize(id, TallyJsonContext.Default.String)
        + ",\"sent_at\":" + now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}";
}
