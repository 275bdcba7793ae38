using System.Net;

namespace Tally.Process.Tests;

/// <summary>
/// Durability is not for sale: every track answered 200 must survive a SIGKILL right after, because the balance
/// change, its ledger row and its idempotency record commit before the answer is sent.
/// </summary>
public sealed class CrashDurabilityTests : IDisposable
{
    private const string Key = "am_sk_test_crash";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-crash-" + Guid.NewGuid().ToString("N"));

    public CrashDurabilityTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public async Task Track_Answered200_SurvivesASigkill()
    {
        var db = Path.Combine(_dir, "tally.db");
        var server = await ServerProcess.StartAsync(db, Key);
        await server.PostAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""", Key);
        await server.PostAsync("plans.create", """{"plan_id":"pro","name":"Pro","items":[{"feature_id":"messages","included":100000}]}""", Key);
        await server.PostAsync("customers.get_or_create", """{"customer_id":"c1"}""", Key);
        await server.PostAsync("billing.attach", """{"customer_id":"c1","plan_id":"pro"}""", Key);

        // 64 concurrent writers, so answers come out of shared group-commit batches; the kill lands the moment the
        // last answer arrives, while other batches may still be in flight (those were never acknowledged).
        var answered = 0;
        var answeredKeys = new System.Collections.Concurrent.ConcurrentBag<string>();
        var tasks = Enumerable.Range(0, 64).Select(async worker =>
        {
            for (var i = 0; i < 20; i++)
            {
                var key = $"k-{worker}-{i}";
                var (status, _, _) = await server.PostAsync("balances.track",
                    $$"""{"customer_id":"c1","feature_id":"messages","value":1,"idempotency_key":"{{key}}"}""", Key);
                Assert.Equal(HttpStatusCode.OK, status);
                answeredKeys.Add(key);
                Interlocked.Increment(ref answered);
            }
        });
        await Task.WhenAll(tasks);
        server.Kill();
        await server.DisposeAsync();

        await using var restarted = await ServerProcess.StartAsync(db, Key);
        var (_, customer) = await restarted.PostAsync("customers.get", """{"customer_id":"c1"}""", Key);
        var balance = customer.GetProperty("balances").GetProperty("messages");
        Assert.Equal(answered, balance.GetProperty("usage").GetDecimal());
        Assert.Equal(100000 - answered, balance.GetProperty("remaining").GetDecimal());

        // Every acknowledged event is in the ledger, and a retry of any of them is a replay, not a second charge.
        var seen = 0;
        string? cursor = null;
        do
        {
            var (_, page) = await restarted.PostAsync("events.list",
                $$"""{"customer_id":"c1","limit":1000{{(cursor is null ? "" : $",\"start_cursor\":\"{cursor}\"")}}}""", Key);
            seen += page.GetProperty("list").GetArrayLength();
            cursor = page.GetProperty("next_cursor").ValueKind == System.Text.Json.JsonValueKind.String
                ? page.GetProperty("next_cursor").GetString() : null;
        }
        while (cursor is not null);
        Assert.Equal(answered, seen);
        var retryKey = answeredKeys.First();
        var (retryStatus, _, _) = await restarted.PostAsync("balances.track",
            $$"""{"customer_id":"c1","feature_id":"messages","value":1,"idempotency_key":"{{retryKey}}"}""", Key);
        Assert.Equal(HttpStatusCode.OK, retryStatus);
        var (_, after) = await restarted.PostAsync("customers.get", """{"customer_id":"c1"}""", Key);
        Assert.Equal(answered, after.GetProperty("balances").GetProperty("messages").GetProperty("usage").GetDecimal());
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
