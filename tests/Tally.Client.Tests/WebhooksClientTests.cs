namespace Tally.Client.Tests;

/// <summary><c>client.Webhooks</c> against the real server in process (delivery itself is covered by the server tests).</summary>
public sealed class WebhooksClientTests
{
    [Fact]
    public async Task Create_list_update_test_deliveries_rotate_delete()
    {
        await using var server = new TallyServer();
        var client = server.NewClient();

        var created = await client.Webhooks.CreateAsync(new CreateWebhookParams { Url = "http://127.0.0.1:9/hook", Events = ["billing.updated"] });
        var listed = await client.Webhooks.ListAsync();
        var updated = await client.Webhooks.UpdateAsync(new UpdateWebhookParams { Id = created.Id, Description = "billing sync" });
        var queued = await client.Webhooks.TestAsync(new WebhookIdParams { Id = created.Id });
        var deliveries = await client.Webhooks.DeliveriesAsync(new ListWebhookDeliveriesParams { WebhookId = created.Id });
        var again = await client.Webhooks.RedeliverAsync(new RedeliverWebhookParams { DeliveryId = queued.DeliveryId });
        var rotated = await client.Webhooks.RotateSecretAsync(new WebhookIdParams { Id = created.Id });
        await client.Webhooks.DeleteAsync(new WebhookIdParams { Id = created.Id });
        var gone = await Assert.ThrowsAsync<TallyApiException>(() => client.Webhooks.DeleteAsync(new WebhookIdParams { Id = created.Id }));

        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        var mine = Assert.Single(listed.List);
        Assert.Equal((created.Id, "http://127.0.0.1:9/hook"), (mine.Id, mine.Url));
        Assert.Equal(["billing.updated"], mine.Events);
        Assert.Equal("billing sync", updated.Description);
        var delivery = Assert.Single(deliveries.List);
        Assert.Equal((queued.DeliveryId, "webhook.test"), (delivery.Id, delivery.EventType));
        Assert.Equal(queued.DeliveryId, again.DeliveryId);
        Assert.NotEqual(created.Secret, rotated.Secret);
        Assert.Equal((404, "webhook_not_found"), (gone.StatusCode, gone.Code));
        Assert.Empty((await client.Webhooks.ListAsync()).List);
    }

    [Fact]
    public async Task Create_refusal_names_the_field()
    {
        await using var server = new TallyServer();
        var client = server.NewClient();

        var refused = await Assert.ThrowsAsync<TallyApiException>(() =>
            client.Webhooks.CreateAsync(new CreateWebhookParams { Url = "gopher://example.com" }));

        Assert.Equal((400, "invalid_inputs"), (refused.StatusCode, refused.Code));
        Assert.Contains("url", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.Webhooks.CreateAsync(new CreateWebhookParams { Url = "" }));
    }
}
