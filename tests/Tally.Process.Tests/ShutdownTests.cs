using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Tally.Process.Tests;

/// <summary>
/// SIGTERM under load: the server stops accepting, finishes the requests it has and drains the commit pipeline,
/// then exits 0. Every track it answered is durable, and none is half-done (the balance equals its ledger).
/// </summary>
public sealed class ShutdownTests : IDisposable
{
    private const string Key = "am_sk_test_shutdown";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-shutdown-" + Guid.NewGuid().ToString("N"));

    public ShutdownTests() => Directory.CreateDirectory(_dir);

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

    [Fact]
    public async Task Sigterm_UnderLoad_ExitsZero_AndEveryAnsweredTrackIsDurable()
    {
        var env = new Dictionary<string, string> { ["TALLY_DATABASE"] = Path.Combine(_dir, "tally.db"), ["TALLY_SECRET_KEYS"] = Key };
        var answered = new ConcurrentBag<string>();
        int exitCode;
        await using (var server = ServerProcess.Start(env))
        {
            await server.WaitListeningAsync();
            await server.PostAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""", Key);
            await server.PostAsync("customers.get_or_create", """{"customer_id":"c1"}""", Key);
            await server.PostAsync("balances.create", """{"customer_id":"c1","feature_id":"messages","included_grant":1000000}""", Key);

            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var workers = Enumerable.Range(0, 32).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    var key = $"k-{worker}-{i}";
                    try
                    {
                        var (status, _, _) = await server.PostAsync("balances.track",
                            $$"""{"customer_id":"c1","feature_id":"messages","value":1,"idempotency_key":"{{key}}"}""", Key);
                        if (status != HttpStatusCode.OK)
                        {
                            return;
                        }
                        answered.Add(key);
                        if (answered.Count >= 300)
                        {
                            enough.TrySetResult();
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        return; // the server stopped accepting: this request was never answered
                    }
                }
            })).ToList();

            await enough.Task.WaitAsync(TimeSpan.FromSeconds(120));
            server.Terminate();
            exitCode = await server.ExitCodeAsync(TimeSpan.FromSeconds(60));
            await Task.WhenAll(workers);
            Assert.True(exitCode == 0, server.Output);
        }

        await using var restarted = ServerProcess.Start(env);
        await restarted.WaitListeningAsync();
        var (_, body, _) = await restarted.PostAsync("customers.get", """{"customer_id":"c1"}""", Key);
        var usage = JsonDocument.Parse(body).RootElement.GetProperty("balances").GetProperty("messages").GetProperty("usage").GetDecimal();
        var ledger = await CountEventsAsync(restarted);

        Assert.Equal(usage, ledger);
        Assert.True(usage >= answered.Count, $"usage {usage} < {answered.Count} answered tracks");
        foreach (var key in answered)
        {
            var (status, _, replayed) = await restarted.PostAsync("balances.track",
                $$"""{"customer_id":"c1","feature_id":"messages","value":1,"idempotency_key":"{{key}}"}""", Key);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(replayed, $"answered track {key} was not durable");
        }
    }

    private static async Task<int> CountEventsAsync(ServerProcess server)
    {
        var seen = 0;
        string? cursor = null;
        do
        {
            var (_, body, _) = await server.PostAsync("events.list",
                $$"""{"customer_id":"c1","limit":1000{{(cursor is null ? "" : $",\"start_cursor\":\"{cursor}\"")}}}""", Key);
            var page = JsonDocument.Parse(body).RootElement;
            seen += page.GetProperty("list").GetArrayLength();
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.String ? page.GetProperty("next_cursor").GetString() : null;
        }
        while (cursor is not null);
        return seen;
    }
}
