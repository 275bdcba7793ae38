using System.Text.Json;

namespace Tally.Client.Tests;

/// <summary>ListAllAsync follows next_cursor lazily without touching the caller's parameters.</summary>
public sealed class PagingTests
{
    [Fact]
    public async Task ListAll_SeveralPages_FollowsCursorsToTheLastPage()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Json(200, """{"list":[{"id":"evt_3","timestamp":3,"feature_id":"m","customer_id":"c1","value":3,"properties":{},"deductions":null},{"id":"evt_2","timestamp":2,"feature_id":"m","customer_id":"c1","value":2,"properties":{},"deductions":null}],"next_cursor":"cur_a"}"""),
            () => FakeHandler.Json(200, """{"list":[{"id":"evt_1","timestamp":1,"feature_id":"m","customer_id":"c1","value":1,"properties":{},"deductions":null}],"next_cursor":null}"""));
        var client = Fake.Client(handler);
        var parameters = new ListEventsParams { CustomerId = "c1", Limit = 2 };

        var ids = new List<string>();
        await foreach (var e in client.Events.ListAllAsync(parameters))
        {
            ids.Add(e.Id);
        }

        Assert.Equal(["evt_3", "evt_2", "evt_1"], ids);
        var bodies = handler.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(2, bodies.Count);
        Assert.False(bodies[0].TryGetProperty("start_cursor", out _));
        Assert.Equal("cur_a", bodies[1].GetProperty("start_cursor").GetString());
        Assert.All(bodies, b => Assert.Equal("c1", b.GetProperty("customer_id").GetString()));
        Assert.All(bodies, b => Assert.Equal(2, b.GetProperty("limit").GetInt32()));
        Assert.Null(parameters.StartCursor);
    }

    [Fact]
    public async Task ListAll_PartlyConsumed_FetchesPagesOnlyAsConsumed()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Json(200, """{"list":[{"id":"c1","created_at":1,"env":"sandbox"}],"next_cursor":"cur_a"}"""));
        var client = Fake.Client(handler);

        await foreach (var c in client.Customers.ListAllAsync())
        {
            Assert.Equal("c1", c.Id);
            break;
        }

        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task ListAll_CursorDoesNotMove_Stops()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(200, """{"list":[],"next_cursor":"stuck"}"""));
        var client = Fake.Client(handler);

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in client.Entities.ListAllAsync())
            {
            }
        });
        Assert.Equal(2, handler.Count);
    }
}
