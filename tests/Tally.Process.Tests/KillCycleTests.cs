using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tally.Process.Tests;

/// <summary>
/// Issue #11: kill -9 over and over under concurrent tracks that retry with their idempotency key until answered
/// (through the kills and restarts). Afterwards no acknowledged track is lost, none is applied twice, every key has
/// exactly one ledger row, and every stored balance equals what its ledger deltas add up to.
/// </summary>
public sealed class KillCycleTests : IDisposable
{
    private const string Key = "am_sk_test_kill_cycle";
    private const int Kills = 5;
    private const int Workers = 16;
    private const int AcksPerCycle = 120;
    private const decimal Included = 1_000_000;
    private static readonly string[] Customers = ["kc_a", "kc_b", "kc_c"];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-kill-" + Guid.NewGuid().ToString("N"));

    public KillCycleTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public async Task SigkillCycles_RetryingTracks_LoseNothingAndDoubleNothing_Sqlite()
    {
        var db = Path.Combine(_dir, "tally.db");
        await RunAsync(db);
        await using var c = new SqliteConnection($"Data Source={db};Pooling=false");
        await AssertLedgerAsync(c);
    }

    [PostgresFact]
    public async Task SigkillCycles_RetryingTracks_LoseNothingAndDoubleNothing_Postgres()
    {
        await using var database = await PostgresDatabase.CreateAsync("tally_kill_");
        try
        {
            var cs = database.ConnectionString();
            await RunAsync(cs);
            await using var c = new NpgsqlConnection(cs);
            await AssertLedgerAsync(c);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    private readonly ConcurrentDictionary<string, string> _acked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _pending = new();
    private int _next;

    private async Task RunAsync(string database)
    {
        ServerProcess? server = await ServerProcess.StartAsync(database, Key);
        try
        {
            await server.PostAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""", Key);
            await server.PostAsync("plans.create", $$"""{"plan_id":"pro","name":"Pro","items":[{"feature_id":"messages","included":{{Included}}}]}""", Key);
            foreach (var customer in Customers)
            {
                Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("customers.get_or_create", $$"""{"customer_id":"{{customer}}"}""", Key)).Status);
                Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"pro"}""", Key)).Status);
            }

            var unansweredAtKills = 0;
            for (var cycle = 0; cycle < Kills; cycle++)
            {
                // The kill lands the moment this cycle's quota of answers arrived, with the other workers mid-request.
                var target = _acked.Count + AcksPerCycle;
                using var stop = new CancellationTokenSource();
                var killed = 0;
                var current = server;
                var workers = Enumerable.Range(0, Workers).Select(w => WorkAsync(current, w, stop.Token, () =>
                {
                    if (_acked.Count >= target && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        current.Kill();
                        stop.Cancel();
                    }
                })).ToList();
                await Task.WhenAll(workers);
                unansweredAtKills += _pending.Count;
                server.Kill();
                await server.DisposeAsync();
                server = null;
                server = await ServerProcess.StartAsync(database, Key);
            }

            // The kills did land mid-request: some tracks were sent and never answered (and were retried after the restart).
            Assert.True(unansweredAtKills > 0);

            // Every key left unanswered by a kill is retried until answered: it applies once, or replays if it had committed.
            foreach (var (worker, key) in _pending.ToArray())
            {
                var (status, raw, _) = await server.PostAsync("balances.track", Body(key), Key);
                Assert.True(status == HttpStatusCode.OK, raw);
                _acked[key] = Customer(key);
                _pending.TryRemove(worker, out _);
            }

            foreach (var customer in Customers)
            {
                var expected = _acked.Values.Count(c => c == customer);
                var (_, body) = await server.PostAsync("customers.get", $$"""{"customer_id":"{{customer}}"}""", Key);
                var balance = body.GetProperty("balances").GetProperty("messages");
                Assert.Equal(expected, balance.GetProperty("usage").GetDecimal());
                Assert.Equal(Included - expected, balance.GetProperty("remaining").GetDecimal());
            }
        }
        finally
        {
            // Also when an assertion fails mid-cycle: no server process outlives the test.
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private async Task WorkAsync(ServerProcess server, int worker, CancellationToken stop, Action afterAck)
    {
        while (!stop.IsCancellationRequested)
        {
            var key = _pending.GetOrAdd(worker, _ => $"kc-{Interlocked.Increment(ref _next)}");
            try
            {
                var (status, raw, _) = await server.PostAsync("balances.track", Body(key), Key);
                Assert.True(status == HttpStatusCode.OK, raw);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or IOException)
            {
                // Killed mid-request: the key stays pending and is sent again after the restart.
                continue;
            }
            _acked[key] = Customer(key);
            _pending.TryRemove(worker, out _);
            afterAck();
        }
    }

    private static string Customer(string key) => Customers[int.Parse(key[3..], CultureInfo.InvariantCulture) % Customers.Length];

    private static string Body(string key) =>
        $$"""{"customer_id":"{{Customer(key)}}","feature_id":"messages","value":1,"idempotency_key":"{{key}}"}""";

    /// <summary>
    /// One track row per acknowledged key and none for any other, and every balance equals minus the sum of its
    /// ledger deltas (grants are negative deltas): the check of MultiNodeTests, on either store.
    /// </summary>
    private async Task AssertLedgerAsync(DbConnection c)
    {
        Assert.True(_acked.Count >= Kills * AcksPerCycle, $"only {_acked.Count} tracks were acknowledged");
        await c.OpenAsync();
        var sums = new Dictionary<(string Customer, string Source), decimal>();
        var keys = new List<string>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT customer_id, kind, idempotency_key, deltas FROM events";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                if (r.GetString(1) == "Track")
                {
                    keys.Add(r.IsDBNull(2) ? "" : r.GetString(2));
                }
                foreach (var d in JsonDocument.Parse(Convert.ToString(r.GetValue(3), CultureInfo.InvariantCulture)!).RootElement.EnumerateArray())
                {
                    if (d.TryGetProperty("rollover_id", out var roll) && roll.ValueKind == JsonValueKind.String)
                    {
                        continue;
                    }
                    var value = d.GetProperty("value");
                    var amount = value.ValueKind == JsonValueKind.String ? decimal.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetDecimal();
                    var source = (r.GetString(0), d.GetProperty("source_id").GetString()!);
                    sums[source] = sums.GetValueOrDefault(source) + amount;
                }
            }
        }
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(_acked.Keys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        var rows = 0;
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT customer_id, source_id, balance FROM balance_sources";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                rows++;
                var balance = decimal.Parse(Convert.ToString(r.GetValue(2), CultureInfo.InvariantCulture)!, NumberStyles.Float, CultureInfo.InvariantCulture);
                Assert.Equal(-sums.GetValueOrDefault((r.GetString(0), r.GetString(1))), balance);
            }
        }
        Assert.Equal(Customers.Length, rows);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
