using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Npgsql;

namespace Tally.Process.Tests;

/// <summary>
/// Three server processes on one PostgreSQL, six clients, shared customers: 3,000 tracks and 1,000 send_event checks,
/// with idempotency keys and deliberate duplicate retries sent to a different node. Afterwards every balance is exact,
/// no check was allowed beyond the balance, every retry applied once, and replaying the ledger gives the stored state.
/// </summary>
public sealed class MultiNodeTests : IAsyncLifetime
{
    private const string Key = "am_sk_test_multinode";
    private const int Customers = 4;
    private const int Tracks = 3000;
    private const int Checks = 1000;
    private const decimal MessagesIncluded = 1000;
    private const decimal ActionsIncluded = 100;
    private readonly PostgresDatabase _database = new("tally_mn_");
    private string _connectionString = "";
    private readonly List<ServerProcess> _nodes = [];

    public async Task InitializeAsync()
    {
        if (PostgresServer.AdminConnectionString is null)
        {
            return;
        }
        await _database.CreateAsync();
        _connectionString = _database.ConnectionString();
    }

    [PostgresFact]
    public async Task MultiNode_ThreeNodesOnOneDatabase_StayExact()
    {
        // Start together: the migration is serialised by an advisory lock.
        _nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ServerProcess.StartAsync(_connectionString, Key))));
        var n0 = _nodes[0];
        await n0.PostAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""", Key);
        await n0.PostAsync("features.create", """{"feature_id":"actions","name":"Actions","type":"metered","consumable":true}""", Key);
        var plan = await n0.PostAsync("plans.create", $$$"""
            {"plan_id":"pro","name":"Pro","items":[
              {"feature_id":"messages","included":{{{MessagesIncluded}}},"reset":{"interval":"month"}},
              {"feature_id":"actions","included":{{{ActionsIncluded}}},"reset":{"interval":"month"}}]}
            """, Key);
        Assert.Equal(HttpStatusCode.OK, plan.Status);
        for (var c = 0; c < Customers; c++)
        {
            // Created on one node, attached on another: nothing is cached per node.
            Assert.Equal(HttpStatusCode.OK, (await _nodes[c % 3].PostAsync("customers.get_or_create", $$"""{"customer_id":"cus_{{c}}"}""", Key)).Status);
            Assert.Equal(HttpStatusCode.OK, (await _nodes[(c + 1) % 3].PostAsync("billing.attach", $$"""{"customer_id":"cus_{{c}}","plan_id":"pro"}""", Key)).Status);
        }

        // The work: track i goes to customer i % 4 with key t-i; every tenth is retried on another node.
        var work = new ConcurrentQueue<(string Kind, int I)>(
            Enumerable.Range(0, Tracks).Select(i => (Kind: "track", I: i)).Concat(Enumerable.Range(0, Checks).Select(i => (Kind: "check", I: i)))
                .OrderBy(x => (x.I * 7919 + (x.Kind == "check" ? 13 : 0)) % 4001));
        var allowed = new ConcurrentDictionary<int, int>();
        var mismatched = new ConcurrentBag<string>();
        var clients = Enumerable.Range(0, 6).Select(async client =>
        {
            var k = client;
            while (work.TryDequeue(out var item))
            {
                var node = _nodes[k++ % 3];
                var customer = $"cus_{item.I % Customers}";
                if (item.Kind == "track")
                {
                    var body = $$"""{"customer_id":"{{customer}}","feature_id":"messages","value":1,"idempotency_key":"t-{{item.I}}"}""";
                    var first = await node.PostAsync("balances.track", body, Key);
                    Assert.Equal(HttpStatusCode.OK, first.Status);
                    if (item.I % 10 == 0)
                    {
                        var retry = await _nodes[k % 3].PostAsync("balances.track", body, Key);
                        Assert.Equal(HttpStatusCode.OK, retry.Status);
                        if (retry.Raw != first.Raw)
                        {
                            mismatched.Add(item.I.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        }
                    }
                }
                else
                {
                    var (status, body) = await node.PostAsync("balances.check",
                        $$"""{"customer_id":"{{customer}}","feature_id":"actions","required_balance":1,"send_event":true}""", Key);
                    Assert.Equal(HttpStatusCode.OK, status);
                    if (body.GetProperty("allowed").GetBoolean())
                    {
                        allowed.AddOrUpdate(item.I % Customers, 1, (_, v) => v + 1);
                    }
                }
            }
        });
        await Task.WhenAll(clients);
        Assert.Empty(mismatched);

        for (var c = 0; c < Customers; c++)
        {
            var (_, customer) = await _nodes[c % 3].PostAsync("customers.get", $$"""{"customer_id":"cus_{{c}}"}""", Key);
            var messages = customer.GetProperty("balances").GetProperty("messages");
            var actions = customer.GetProperty("balances").GetProperty("actions");
            var tracked = Tracks / Customers;
            Assert.Equal(tracked, messages.GetProperty("usage").GetDecimal());
            Assert.Equal(MessagesIncluded - tracked, messages.GetProperty("remaining").GetDecimal());
            // 250 checks per customer on 100 actions: exactly 100 allowed, never more.
            Assert.Equal((int)ActionsIncluded, allowed.GetValueOrDefault(c));
            Assert.Equal(ActionsIncluded, actions.GetProperty("usage").GetDecimal());
            Assert.Equal(0m, actions.GetProperty("remaining").GetDecimal());
        }

        await AssertLedgerReplaysAsync();
    }

    /// <summary>Every stored balance equals minus the sum of its ledger deltas (grants are recorded as negative deltas).</summary>
    private async Task AssertLedgerReplaysAsync()
    {
        await using var c = new NpgsqlConnection(_connectionString);
        await c.OpenAsync();
        var sums = new Dictionary<(string Customer, string Source), decimal>();
        var trackEvents = new Dictionary<string, int>();
        await using (var cmd = new NpgsqlCommand("SELECT customer_id, kind, event_name, deltas::text FROM events", c))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                var customer = r.GetString(0);
                if (r.GetString(1) == "Track" && r.GetString(2) == "messages")
                {
                    trackEvents[customer] = trackEvents.GetValueOrDefault(customer) + 1;
                }
                foreach (var d in JsonDocument.Parse(r.GetString(3)).RootElement.EnumerateArray())
                {
                    if (d.TryGetProperty("rollover_id", out var roll) && roll.ValueKind == JsonValueKind.String)
                    {
                        continue;
                    }
                    var key = (customer, d.GetProperty("source_id").GetString()!);
                    var value = d.GetProperty("value");
                    var amount = value.ValueKind == JsonValueKind.String
                        ? decimal.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                        : value.GetDecimal();
                    sums[key] = sums.GetValueOrDefault(key) + amount;
                }
            }
        }
        var rows = 0;
        await using (var cmd = new NpgsqlCommand("SELECT customer_id, source_id, balance FROM balance_sources", c))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                rows++;
                Assert.Equal(-sums.GetValueOrDefault((r.GetString(0), r.GetString(1))), r.GetDecimal(2));
            }
        }
        Assert.Equal(Customers * 2, rows);
        // Retries were replays: exactly one track event per distinct idempotency key.
        Assert.All(Enumerable.Range(0, Customers), i => Assert.Equal(Tracks / Customers, trackEvents.GetValueOrDefault($"cus_{i}")));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        NpgsqlConnection.ClearAllPools();
        await _database.DisposeAsync();
    }
}
