using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Tests.Api.Webhooks;

/// <summary>The server in-process with quick retries, and a real receiver on loopback.</summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-webhooks-" + Guid.NewGuid().ToString("N"));
    private Factory? _factory;

    public WebhookReceiver Receiver { get; private set; } = null!;

    public TallyApi Api { get; private set; } = null!;

    public TallyApi Live => Api.WithKey(TallyApp.LiveKey);

    public IServiceProvider Services => _factory!.Services;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        Receiver = await WebhookReceiver.StartAsync();
        _factory = new Factory(Path.Combine(_dir, "tally.db"), $"{TallyApp.SandboxKey},{TallyApp.LiveKey}");
        Api = new TallyApi(_factory.CreateClient(), TallyApp.SandboxKey);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        await Receiver.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    private sealed class Factory(string database, string keys) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", keys);
            builder.UseSetting("TALLY_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms,100ms");
            builder.UseSetting("TALLY_WEBHOOK_POLL_INTERVAL", "50ms");
            builder.UseSetting("TALLY_WEBHOOK_TIMEOUT", "10s");
        }
    }
}

public sealed class WebhookRouteTests(WebhookFixture app) : IClassFixture<WebhookFixture>
{
    private TallyApi Api => app.Api;

    [Fact]
    public async Task Test_DeliversASignedWebhookTestEvent()
    {
        var created = await CreateAsync("test-event");

        var queued = await Api.OkAsync("webhooks.test", new WebhookIdParams { Id = created.Id }, C.Default.WebhookDeliveryQueued);
        var got = await app.Receiver.NextAsync("test-event");

        Assert.True(WebhookReceiver.Verify(created.Secret, got));
        Assert.StartsWith("msg_", got.Id, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(got.Body);
        Assert.Equal("webhook.test", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(created.Id, body.RootElement.GetProperty("data").GetProperty("webhook_id").GetString());
        var delivery = await DeliveryAsync(created.Id, queued.DeliveryId, "delivered");
        Assert.Equal(200, Assert.Single(delivery.Attempts).Status);
        Assert.Equal(got.Id, delivery.EventId);
    }

    [Fact]
    public async Task ReceiverFailingThreeTimes_GetsTheEventOnTheFourthTry_WithTheSameWebhookId()
    {
        var created = await CreateAsync("flaky");
        app.Receiver.FailFirst("flaky", 3);
        var customer = await CustomerAsync("cus_flaky");

        await RaiseAsync(customer, new LimitReached { CustomerId = customer, FeatureId = "messages", LimitType = "included" });

        var got = new List<Received>();
        for (var i = 0; i < 4; i++)
        {
            got.Add(await app.Receiver.NextAsync("flaky"));
        }
        Assert.Equal([500, 500, 500, 200], got.Select(r => r.Answered));
        Assert.Single(got.Select(r => r.Id).Distinct());
        Assert.All(got, r => Assert.True(WebhookReceiver.Verify(created.Secret, r)));
        using var body = JsonDocument.Parse(got[^1].Body);
        Assert.Equal("balances.limit_reached", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(customer, body.RootElement.GetProperty("data").GetProperty("customer_id").GetString());
        Assert.Equal("included", body.RootElement.GetProperty("data").GetProperty("limit_type").GetString());

        var delivery = await DeliveryAsync(created.Id, Assert.Single((await DeliveriesAsync(created.Id)).List).Id, "delivered");
        Assert.Equal([500, 500, 500, 200], delivery.Attempts.Select(a => a.Status ?? 0));
        Assert.Equal("receiver down", delivery.Attempts[0].ResponseBody);
    }

    [Fact]
    public async Task RotateSecret_SignsWithBothSecretsDuringTheOverlap()
    {
        var created = await CreateAsync("rotate");
        var rotated = await Api.OkAsync("webhooks.rotate_secret", new WebhookIdParams { Id = created.Id }, C.Default.WebhookSecretResponse);
        Assert.NotEqual(created.Secret, rotated.Secret);

        await Api.OkAsync("webhooks.test", new WebhookIdParams { Id = created.Id }, C.Default.WebhookDeliveryQueued);
        var got = await app.Receiver.NextAsync("rotate");

        Assert.Equal(2, got.Signature.Split(' ').Length);
        Assert.True(WebhookReceiver.Verify(created.Secret, got));
        Assert.True(WebhookReceiver.Verify(rotated.Secret, got));
    }

    [Fact]
    public async Task Redeliver_SendsTheSameEventAgain()
    {
        var created = await CreateAsync("again");
        var queued = await Api.OkAsync("webhooks.test", new WebhookIdParams { Id = created.Id }, C.Default.WebhookDeliveryQueued);
        var first = await app.Receiver.NextAsync("again");
        await DeliveryAsync(created.Id, queued.DeliveryId, "delivered");

        await Api.OkAsync("webhooks.redeliver", new RedeliverWebhookParams { DeliveryId = queued.DeliveryId }, C.Default.WebhookDeliveryQueued);
        var second = await app.Receiver.NextAsync("again");

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Body, second.Body);
        (await Api.PostAsync("webhooks.redeliver", new RedeliverWebhookParams { DeliveryId = "whd_missing" })).ShouldBe(404);
    }

    [Fact]
    public async Task Create_RefusesBadUrlsAndUnknownEvents_AndPrivateLiveEndpoints()
    {
        (await Api.PostAsync("webhooks.create", """{"url":"ftp://example.com/x"}""")).ShouldBe(400);
        (await Api.PostAsync("webhooks.create", """{"url":"not a url"}""")).ShouldBe(400);
        (await Api.PostAsync("webhooks.create", """{"url":"http://user:pw@example.com/x"}""")).ShouldBe(400);
        var unknown = await Api.PostAsync("webhooks.create", $$"""{"url":"{{app.Receiver.Url("x")}}","events":["balances.nope"]}""");
        unknown.ShouldBe(400);
        Assert.Contains("events", unknown.Message, StringComparison.Ordinal);
        var live = await app.Live.PostAsync("webhooks.create", $$"""{"url":"{{app.Receiver.Url("x")}}"}""");
        live.ShouldBe(400);
        Assert.Contains("TALLY_WEBHOOK_ALLOW_PRIVATE", live.Message, StringComparison.Ordinal);
        (await app.Live.PostAsync("webhooks.create", """{"url":"http://10.1.2.3/x"}""")).ShouldBe(400);
        (await app.Live.PostAsync("webhooks.create", """{"url":"https://example.com/x"}""")).ShouldBe(200);
    }

    [Fact]
    public async Task ListUpdateDelete_NeverShowTheSecret_AndStayInTheirEnvironment()
    {
        var created = await CreateAsync("crud", events: ["billing.updated"], description: "billing");
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", created.Secret);

        var list = await Api.PostAsync("webhooks.list", "{}");
        list.ShouldBe(200);
        Assert.DoesNotContain(created.Secret, list.Text, StringComparison.Ordinal);
        var mine = list.As(C.Default.ListResponseWebhookEndpointInfo).List.Single(e => e.Id == created.Id);
        Assert.Equal(["billing.updated"], mine.Events);
        Assert.Equal("billing", mine.Description);

        var updated = await Api.OkAsync("webhooks.update", new UpdateWebhookParams { Id = created.Id, Events = [], Disabled = true },
            C.Default.WebhookEndpointInfo);
        Assert.Empty(updated.Events);
        Assert.True(updated.Disabled);
        Assert.Equal("billing", updated.Description);

        (await app.Live.PostAsync("webhooks.delete", new WebhookIdParams { Id = created.Id })).ShouldBe(404);
        (await app.Live.PostAsync("webhooks.test", new WebhookIdParams { Id = created.Id })).ShouldBe(404);
        (await Api.PostAsync("webhooks.delete", new WebhookIdParams { Id = created.Id })).ShouldBe(200);
        (await Api.PostAsync("webhooks.delete", new WebhookIdParams { Id = created.Id })).ShouldBe(404);
        (await Api.PostAsync("webhooks.rotate_secret", new WebhookIdParams { Id = created.Id })).ShouldBe(404);
    }

    [Fact]
    public async Task Deliveries_RejectsABadStatusOrCursor()
    {
        (await Api.PostAsync("webhooks.deliveries", """{"status":"lost"}""")).ShouldBe(400);
        (await Api.PostAsync("webhooks.deliveries", """{"cursor":"abc"}""")).ShouldBe(400);
        (await Api.PostAsync("webhooks.deliveries", """{"limit":0}""")).ShouldBe(400);
    }

    private async Task<WebhookSecretResponse> CreateAsync(string name, List<string>? events = null, string? description = null) =>
        await Api.OkAsync("webhooks.create", new CreateWebhookParams { Url = app.Receiver.Url(name), Events = events, Description = description },
            C.Default.WebhookSecretResponse);

    private async Task<string> CustomerAsync(string id)
    {
        (await Api.PostAsync("customers.get_or_create", $$"""{"customer_id":"{{id}}"}""")).ShouldBe(200);
        return id;
    }

    /// <summary>A test-only unit that raises a notification on an existing customer, committed like any use case's.</summary>
    private async Task RaiseAsync(string customerId, Notification n)
    {
        var store = app.Services.GetRequiredService<ITallyStore>();
        var result = await store.MutateCustomerAsync(new TenantId("org_default", Env.Sandbox), customerId, (state, _) =>
        {
            var w = new Working(state!);
            w.Raise(n);
            return new Decision<bool>(true, w.ToChanges());
        }, null, CancellationToken.None);
        Assert.Equal(StoreOutcome.Done, result.Outcome);
    }

    private async Task<CursorListResponse<WebhookDelivery>> DeliveriesAsync(string webhookId) =>
        await Api.OkAsync("webhooks.deliveries", new ListWebhookDeliveriesParams { WebhookId = webhookId }, C.Default.CursorListResponseWebhookDelivery);

    /// <summary>The delivery once it reached <paramref name="status"/> (the attempt is recorded just after the receiver answers).</summary>
    private async Task<WebhookDelivery> DeliveryAsync(string webhookId, string deliveryId, string status)
    {
        for (var i = 0; i < 600; i++)
        {
            var d = (await DeliveriesAsync(webhookId)).List.Single(x => x.Id == deliveryId);
            if (d.Status == status)
            {
                return d;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"delivery {deliveryId} never reached {status}");
    }
}
