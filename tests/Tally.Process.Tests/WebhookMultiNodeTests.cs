using System.Net;
using Npgsql;

namespace Tally.Process.Tests;

/// <summary>
/// Two server processes on one PostgreSQL dispatch the same outbox: events raised through both nodes reach the one
/// receiver once each (in the normal case, with no node dying mid-send), counted by <c>webhook-id</c>.
/// </summary>
public sealed class WebhookMultiNodeTests : IAsyncLifetime
{
    private const string Key = "am_sk_test_webhook_nodes";
    private const int Customers = 30;
    private readonly PostgresDatabase _database = new("tally_whmn_");
    private readonly List<ServerProcess> _nodes = [];

    public async Task InitializeAsync()
    {
        if (PostgresServer.AdminConnectionString is not null)
        {
            await _database.CreateAsync();
        }
    }

    [PostgresFact]
    public async Task TwoNodes_EventsRaisedThroughBoth_AreEachDeliveredOnce()
    {
        await using var sink = await WebhookSink.StartAsync();
        _nodes.AddRange(await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => WebhookServer.StartAsync(_database.ConnectionString(), Key))));
        var secret = await WebhookServer.EndpointAsync(_nodes[0], Key, sink.Url);
        await WebhookServer.CatalogAsync(_nodes[1], Key, included: 10);

        // Per customer two events: billing.updated from the attach on one node, limit_reached from the track on the other.
        await Task.WhenAll(Enumerable.Range(0, Customers).Select(async i =>
        {
            var a = _nodes[i % 2];
            var b = _nodes[(i + 1) % 2];
            Assert.Equal(HttpStatusCode.OK, (await a.PostAsync("customers.get_or_create", $$"""{"customer_id":"cus_{{i}}"}""", Key)).Status);
            Assert.Equal(HttpStatusCode.OK, (await b.PostAsync("billing.attach", $$"""{"customer_id":"cus_{{i}}","plan_id":"pro"}""", Key)).Status);
            Assert.Equal(HttpStatusCode.OK, (await a.PostAsync("balances.track",
                $$"""{"customer_id":"cus_{{i}}","feature_id":"messages","value":10}""", Key)).Status);
        }));

        await sink.WaitAsync(g => g.Select(d => d.Id).Distinct().Count() >= Customers * 2, $"{Customers * 2} events");
        await WebhookServer.NoPendingAsync(_nodes[0], Key);
        await WebhookServer.NoPendingAsync(_nodes[1], Key);

        var got = sink.Got;
        Assert.Equal(Customers * 2, got.Count);
        Assert.All(got.GroupBy(d => d.Id), g => Assert.Single(g));
        Assert.All(got, d => Assert.True(WebhookSink.Verify(secret, d), $"signature of {d.Id}"));
        var events = got.Select(d =>
        {
            var data = WebhookServer.Data(d, out var type);
            return (Type: type, Customer: data.GetProperty("customer_id").GetString());
        }).ToList();
        foreach (var type in new[] { "billing.updated", "balances.limit_reached" })
        {
            Assert.Equal(Enumerable.Range(0, Customers).Select(i => $"cus_{i}").Order(StringComparer.Ordinal),
                events.Where(e => e.Type == type).Select(e => e.Customer!).Order(StringComparer.Ordinal));
        }
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
