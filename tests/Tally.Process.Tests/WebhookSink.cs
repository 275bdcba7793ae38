using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tally.Process.Tests;

/// <summary>One request the sink got, and what it answered.</summary>
public sealed record Delivery(string Id, string Timestamp, string Signature, string Body, int Answered);

/// <summary>
/// A webhook receiver for the process tests: Kestrel on loopback, recording every request. While
/// <see cref="Refusing"/> it answers 503, as a receiver that is down for maintenance would. Signatures are checked with
/// <see cref="Verify"/>, written from the Standard Webhooks specification rather than with the server's own code.
/// </summary>
public sealed class WebhookSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _got = new();

    private WebhookSink(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public bool Refusing { get; set; }

    public IReadOnlyList<Delivery> Got => [.. _got];

    public static async Task<WebhookSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new WebhookSink(app);
        app.MapPost("/hook", sink.HandleAsync);
        await app.StartAsync();
        sink.Url = app.Urls.First() + "/hook";
        return sink;
    }

    /// <summary>Waits until <paramref name="done"/> holds for what was received (bounded: 90 s, generous, not a timing assertion).</summary>
    public async Task<IReadOnlyList<Delivery>> WaitAsync(Func<IReadOnlyList<Delivery>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!done(Got))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"the sink never got {what}; it got {Got.Count} requests");
            }
            await Task.Delay(50);
        }
        return Got;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var status = Refusing ? 503 : 200;
        _got.Enqueue(new Delivery(http.Request.Headers["webhook-id"].ToString(), http.Request.Headers["webhook-timestamp"].ToString(),
            http.Request.Headers["webhook-signature"].ToString(), body, status));
        http.Response.StatusCode = status;
        await http.Response.WriteAsync(Refusing ? "down" : "ok");
    }

    /// <summary>True when one of the space-separated <c>v1,</c> signatures is the HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static bool Verify(string secret, Delivery d)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{d.Id}.{d.Timestamp}.{d.Body}")));
        return secret.StartsWith("whsec_", StringComparison.Ordinal) && d.Signature.Split(' ').Any(s => s == "v1," + expected);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The server process with quick webhook retries, and the calls the webhook process tests share.</summary>
internal static class WebhookServer
{
    /// <summary>
    /// Retries 200 ms after the first failure, then every 2 s for about 40 s: quick enough for a test, long enough
    /// that a delivery outlives a restart of the server without failing for good.
    /// </summary>
    private static readonly string Schedule = "200ms," + string.Join(',', Enumerable.Repeat("2s", 20));

    public static async Task<ServerProcess> StartAsync(string database, string key)
    {
        var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["TALLY_DATABASE"] = database,
            ["TALLY_SECRET_KEYS"] = key,
            ["TALLY_WEBHOOK_RETRY_SCHEDULE"] = Schedule,
            ["TALLY_WEBHOOK_POLL_INTERVAL"] = "50ms",
            ["TALLY_WEBHOOK_TIMEOUT"] = "5s",
        }, workingDirectory: Path.IsPathRooted(database) ? Path.GetDirectoryName(database) : null);
        try
        {
            await server.WaitListeningAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Registers the sink for <paramref name="events"/> (all when none); returns the signing secret.</summary>
    public static async Task<string> EndpointAsync(ServerProcess server, string key, string url, params string[] events)
    {
        var filter = events.Length == 0 ? "" : ",\"events\":[" + string.Join(',', events.Select(e => $"\"{e}\"")) + "]";
        var (status, json) = await server.PostAsync("webhooks.create", $$"""{"url":"{{url}}"{{filter}}}""", key);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        return json.GetProperty("secret").GetString()!;
    }

    /// <summary>A consumable feature and a monthly plan "pro" granting <paramref name="included"/> of it.</summary>
    public static async Task CatalogAsync(ServerProcess server, string key, int included)
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.PostAsync("features.create",
            """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""", key)).Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await server.PostAsync("plans.create", $$$"""
            {"plan_id":"pro","name":"Pro","items":[{"feature_id":"messages","included":{{{included}}},"reset":{"interval":"month"}}]}
            """, key)).Status);
    }

    /// <summary>Waits (bounded: 90 s) until the server reports no pending delivery: every attempt so far is recorded.</summary>
    public static async Task NoPendingAsync(ServerProcess server, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var (status, json) = await server.PostAsync("webhooks.deliveries", """{"status":"pending"}""", key);
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            if (json.GetProperty("list").GetArrayLength() == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException("deliveries still pending after 90 s:\n" + server.Output);
            }
            await Task.Delay(100);
        }
    }

    public static JsonElement Data(Delivery d, out string type)
    {
        var root = JsonDocument.Parse(d.Body).RootElement.Clone();
        type = root.GetProperty("type").GetString()!;
        return root.GetProperty("data");
    }
}
