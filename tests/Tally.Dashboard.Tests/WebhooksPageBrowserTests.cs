using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace Tally.Dashboard.Tests;

/// <summary>The webhooks page against a real receiver on loopback: an endpoint, a delivered test event, and a redelivery.</summary>
public sealed class WebhooksPageBrowserTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private static readonly PageWaitForURLOptions Loaded = new() { WaitUntil = WaitUntilState.DOMContentLoaded };

    [Fact]
    public async Task Redeliver_DeliveredTestEvent_PageShowsTheSecondAttemptAndTheApiAgrees()
    {
        await using var receiver = Receiver.Start();
        var created = await server.ApiAsync("webhooks.create",
            $$"""{"url":"{{receiver.Url}}","description":"Billing sync","events":["balances.limit_reached"]}""");
        var webhookId = (string)created["id"]!;
        var deliveryId = (string)(await server.ApiAsync("webhooks.test", $$"""{"id":"{{webhookId}}"}"""))["delivery_id"]!;

        var page = await server.SignedInPageAsync();
        await page.ClickAsync("nav a[href='/dashboard/webhooks']");
        await page.WaitForURLAsync(server.Url + "/dashboard/webhooks", Loaded);
        var endpoint = page.Locator($"tr[data-webhook={webhookId}]");
        Assert.Contains(receiver.Url, await endpoint.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Billing sync", await endpoint.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("balances.limit_reached", await endpoint.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("enabled", await endpoint.Locator("[data-state]").GetAttributeAsync("data-state"));

        var row = page.Locator($"tr[data-delivery={deliveryId}]");
        await ReloadUntilAsync(page, row, "1");
        Assert.Equal("delivered", await row.Locator("[data-status]").GetAttributeAsync("data-status"));
        Assert.Equal("200", await row.Locator("[data-http-status]").GetAttributeAsync("data-http-status"));
        Assert.Contains("webhook.test", await row.InnerTextAsync(), StringComparison.Ordinal);

        await row.Locator("button", new LocatorLocatorOptions { HasText = "Redeliver" }).ClickAsync();
        await page.WaitForURLAsync(u => u.Contains("ok=redeliver", StringComparison.Ordinal), Loaded);
        await ReloadUntilAsync(page, row, "2");
        Assert.Equal("delivered", await row.Locator("[data-status]").GetAttributeAsync("data-status"));

        var api = await server.ApiAsync("webhooks.deliveries", $$"""{"webhook_id":"{{webhookId}}"}""");
        var delivery = api["list"]!.AsArray().Single(d => (string?)d!["id"] == deliveryId)!;
        Assert.Equal(2, delivery["attempts"]!.AsArray().Count);
        Assert.Equal("delivered", (string?)delivery["status"]);
        // The same event twice: both requests carry one webhook-id, so a receiver can drop the repeat.
        Assert.Equal(2, receiver.EventIds.Count);
        Assert.Single(receiver.EventIds.Distinct());
        var artifact = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard-webhooks.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = artifact, FullPage = true });
    }

    [Fact]
    public async Task Redeliver_UnknownDelivery_404WithTheUseCaseMessage()
    {
        var page = await server.SignedInPageAsync();
        await page.GotoAsync(server.Url + "/dashboard/webhooks");
        var csrf = await page.Locator("form.inline input[name=csrf]").GetAttributeAsync("value");
        var response = await page.APIRequest.PostAsync(server.Url + "/dashboard/webhooks", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("csrf", csrf!).Set("idem", new string('a', 43)).Set("action", "redeliver")
                .Set("delivery_id", "whd_missing"),
            MaxRedirects = 0,
        });
        Assert.Equal(404, response.Status);
        Assert.Contains("Webhook delivery whd_missing not found", await response.TextAsync(), StringComparison.Ordinal);
    }

    /// <summary>Reloads until the row shows this many attempts: the dispatcher delivers in the background, on its own clock.</summary>
    private static async Task ReloadUntilAsync(IPage page, ILocator row, string attempts)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await row.CountAsync() == 1 && await row.Locator("[data-attempts]").GetAttributeAsync("data-attempts") == attempts
                && await row.Locator("[data-status]").GetAttributeAsync("data-status") != "pending")
            {
                return;
            }
            await Task.Delay(200);
            await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        }
        Assert.Fail($"the delivery never showed {attempts} attempts");
    }

    /// <summary>A loopback receiver that answers 200 and records each request's <c>webhook-id</c>.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private readonly List<string> _ids = [];

        private Receiver()
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hook";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public IReadOnlyList<string> EventIds
        {
            get
            {
                lock (_ids)
                {
                    return [.. _ids];
                }
            }
        }

        public static Receiver Start() => new();

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                lock (_ids)
                {
                    _ids.Add(context.Request.Headers["webhook-id"] ?? "");
                }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
