using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tally.Server.Tests.Api.Webhooks;

/// <summary>One request the receiver got.</summary>
public sealed record Received(string Id, string Timestamp, string Signature, string Body, int Answered);

/// <summary>
/// A real HTTP receiver (Kestrel on loopback). Each test uses its own path; a path can be told to fail its first
/// n requests with a 500. Signatures are checked by the tests with <see cref="Verify"/>, written here from the
/// Standard Webhooks specification rather than with the server's own signing code.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Channel<Received>> _arrivals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);

    private WebhookReceiver(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook/{name}", async (string name, HttpContext http) => await receiver.HandleAsync(name, http));
        await app.StartAsync();
        receiver.BaseUrl = app.Urls.First();
        return receiver;
    }

    public string Url(string name) => $"{BaseUrl}/hook/{name}";

    public void FailFirst(string name, int count)
    {
        lock (_failuresLeft)
        {
            _failuresLeft[name] = count;
        }
    }

    /// <summary>The next request to the path; waits up to a minute (a generous bound, not a timing assertion).</summary>
    public async Task<Received> NextAsync(string name)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Channel(name).Reader.ReadAsync(cts.Token);
    }

    public int Pending(string name) => Channel(name).Reader.Count;

    private Channel<Received> Channel(string name) => _arrivals.GetOrAdd(name, _ => System.Threading.Channels.Channel.CreateUnbounded<Received>());

    private async Task HandleAsync(string name, HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        bool fail;
        lock (_failuresLeft)
        {
            fail = _failuresLeft.TryGetValue(name, out var left) && left > 0;
            if (fail)
            {
                _failuresLeft[name] = left - 1;
            }
        }
        var status = fail ? 500 : 200;
        await Channel(name).Writer.WriteAsync(new Received(http.Request.Headers["webhook-id"].ToString(),
            http.Request.Headers["webhook-timestamp"].ToString(), http.Request.Headers["webhook-signature"].ToString(), body, status));
        http.Response.StatusCode = status;
        await http.Response.WriteAsync(fail ? "receiver down" : "ok");
    }

    /// <summary>True when one of the space-separated <c>v1,</c> signatures is the HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static bool Verify(string secret, Received r)
    {
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{r.Id}.{r.Timestamp}.{r.Body}")));
        return r.Signature.Split(' ').Any(s => s == "v1," + expected);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
