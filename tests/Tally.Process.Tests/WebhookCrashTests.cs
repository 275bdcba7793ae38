using System.Net;

namespace Tally.Process.Tests;

/// <summary>
/// An event is in the outbox from the moment its change commits: a SIGKILL between the commit and the delivery loses
/// nothing, and the restarted server sends it with the same <c>webhook-id</c> and a valid signature.
/// </summary>
public sealed class WebhookCrashTests : IDisposable
{
    private const string Key = "am_sk_test_webhook_crash";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-webhook-crash-" + Guid.NewGuid().ToString("N"));

    public WebhookCrashTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public async Task EventCommittedWhileTheReceiverRefuses_SurvivesASigkill_AndArrivesOnceAfterTheRestart()
    {
        await using var sink = await WebhookSink.StartAsync();
        sink.Refusing = true;
        var db = Path.Combine(_dir, "tally.db");
        var server = await WebhookServer.StartAsync(db, Key);
        var secret = await WebhookServer.EndpointAsync(server, Key, sink.Url, "balances.limit_reached");
        await WebhookServer.CatalogAsync(server, Key, included: 10);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("customers.get_or_create", """{"customer_id":"c1"}""", Key)).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("billing.attach", """{"customer_id":"c1","plan_id":"pro"}""", Key)).Status);

        // The track that empties the balance commits the limit event with its deduction; the receiver refuses it.
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("balances.track", """{"customer_id":"c1","feature_id":"messages","value":10}""", Key)).Status);
        var refused = (await sink.WaitAsync(g => g.Count > 0, "a first (refused) attempt"))[0];
        server.Kill();
        await server.DisposeAsync();
        sink.Refusing = false;

        await using var restarted = await WebhookServer.StartAsync(db, Key);
        await sink.WaitAsync(g => g.Any(d => d.Answered == 200), "the event after the restart");
        await WebhookServer.NoPendingAsync(restarted, Key);

        var all = sink.Got;
        var delivered = Assert.Single(all, d => d.Answered == 200);
        Assert.All(all, d => Assert.Equal(refused.Id, d.Id));
        Assert.All(all, d => Assert.Equal(refused.Body, d.Body));
        Assert.All(all, d => Assert.True(WebhookSink.Verify(secret, d), $"signature of attempt at {d.Timestamp}"));
        var data = WebhookServer.Data(delivered, out var type);
        Assert.Equal("balances.limit_reached", type);
        Assert.Equal("c1", data.GetProperty("customer_id").GetString());
        Assert.Equal("included", data.GetProperty("limit_type").GetString());
        var (_, deliveries) = await restarted.PostAsync("webhooks.deliveries", "{}", Key);
        var log = Assert.Single(deliveries.GetProperty("list").EnumerateArray());
        Assert.Equal("delivered", log.GetProperty("status").GetString());
        Assert.Equal(refused.Id, log.GetProperty("event_id").GetString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
