using System.Text.Json;

namespace Tally.Client.Tests;

/// <summary><c>client.Events.AggregateAsync</c> against the real server in process.</summary>
public sealed class EventsAggregateClientTests
{
    [Fact]
    public async Task Aggregate_returns_bins_and_totals_and_throws_on_bad_input()
    {
        await using var server = new TallyServer();
        var client = server.NewClient();
        await client.Features.CreateAsync(new CreateFeatureParams { FeatureId = "messages", Name = "Messages", Type = "metered", Consumable = true });
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "c1" });
        await client.Balances.TrackAsync(new TrackParams { CustomerId = "c1", FeatureId = "messages", Value = 3 });
        await client.Balances.TrackAsync(new TrackParams { CustomerId = "c1", FeatureId = "messages", Value = -1 });

        var r = await client.Events.AggregateAsync(new AggregateEventsParams
        {
            CustomerId = "c1",
            FeatureId = JsonSerializer.SerializeToElement("messages", TallyJsonContext.Default.String),
            Range = "7d",
        });
        var bad = await Assert.ThrowsAsync<TallyApiException>(() => client.Events.AggregateAsync(new AggregateEventsParams
        {
            CustomerId = "c1",
            FeatureId = JsonSerializer.SerializeToElement("messages", TallyJsonContext.Default.String),
        }));

        Assert.Equal(8, r.List.Count);
        Assert.Equal(2m, r.List.Sum(p => p.Values["messages"]));
        Assert.Equal((2L, 2m), (r.Total["messages"].Count, r.Total["messages"].Sum));
        Assert.Equal(400, bad.StatusCode);
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.Events.AggregateAsync(null!));
    }
}
