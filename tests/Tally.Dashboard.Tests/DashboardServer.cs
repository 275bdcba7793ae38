using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;

namespace Tally.Dashboard.Tests;

/// <summary>
/// The server on real Kestrel (a browser cannot reach an in-memory test server) on a fresh temp SQLite file, with a
/// sandbox and a live key, and one headless Debian chromium shared by the tests of a class.
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string SandboxKey = "am_sk_test_dashboard_tests";
    public const string LiveKey = "am_sk_live_dashboard_tests";
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-dashtests-" + Guid.NewGuid().ToString("N"));
    private Factory? _factory;
    private IPlaywright? _playwright;

    public string Url { get; private set; } = "";

    public HttpClient Http { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        _factory = new Factory(Path.Combine(_dir, "tally.db"), $"{SandboxKey},{LiveKey}", Url);
        _factory.UseKestrel(port);
        _factory.StartServer();
        Http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        if (!File.Exists(ChromiumPath))
        {
            // Not a skip: CI installs chromium (.ci/run), and a browser test that cannot run has not passed.
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install -y chromium");
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        Http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless; the OS cleans /tmp.
        }
    }

    /// <summary>POSTs a JSON body to <c>/v1/{route}</c> with the sandbox key and returns the parsed answer (asserting success).</summary>
    public async Task<JsonNode> ApiAsync(string route, string json, string key = SandboxKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/" + route) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{route} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>A signed-in page of a fresh browser context (its own cookies).</summary>
    public async Task<IPage> SignedInPageAsync(string key = SandboxKey)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1400 } });
        var page = await context.NewPageAsync();
        // The machine running the suite may be busy; a slow page is not a failure, a wrong one is.
        page.SetDefaultTimeout(90_000);
        page.SetDefaultNavigationTimeout(90_000);
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GotoAsync(Url + "/dashboard");
        Assert.EndsWith("/dashboard/signin", page.Url, StringComparison.Ordinal);
        await page.FillAsync("input[name=key]", key);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(Url + "/dashboard/customers", new PageWaitForURLOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        return page;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Factory(string database, string keys, string url) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", keys);
            builder.UseSetting("urls", url);
            // Deliveries are picked up quickly, so the webhooks page test waits for the dispatcher only briefly.
            builder.UseSetting("TALLY_WEBHOOK_POLL_INTERVAL", "100ms");
        }
    }
}
