using Tally.Contracts;

namespace Tally.Server.Tests.Api.Events;

/// <summary>events.list (autumn-api.md §3.7, §5.10): newest first, filters, opaque cursors.</summary>
public sealed class EventRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task List_NewestFirst_WithTheirDeductions()
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(100);
        var other = await Api.MeteredFeatureAsync();
        for (var v = 1; v <= 3; v++)
        {
            (await Api.TrackAsync(customer, feature, v)).ShouldBe(200);
        }
        (await Api.TrackAsync(customer, other, 9)).ShouldBe(200);

        var all = await Api.EventsAsync(customer);
        var onlyFeature = await Api.OkAsync("events.list",
            new ListEventsParams { CustomerId = customer, FeatureId = JsonSerializer.SerializeToElement(feature, C.String) }, C.CursorListResponseEventItem);
        var both = await Api.PostAsync("events.list", $$"""{"customer_id":"{{customer}}","feature_id":["{{feature}}","{{other}}"]}""");

        Assert.Equal([9m, 3m, 2m, 1m], all.Select(e => e.Value));
        Assert.All(all, e => Assert.Equal(customer, e.CustomerId));
        Assert.All(all, e => Assert.StartsWith("evt_", e.Id, StringComparison.Ordinal));
        Assert.Equal([3m, 2m, 1m], onlyFeature.List.Select(e => e.Value));
        var d = Assert.Single(onlyFeature.List[0].Deductions!);
        Assert.Equal(3m, d.Value);
        Assert.Equal(plan, d.PlanId);
        Assert.Equal(4, both.ShouldBe(200).Json.GetProperty("list").GetArrayLength());
    }

    [Fact]
    public async Task List_Pages_WithCursors()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        for (var v = 1; v <= 5; v++)
        {
            (await Api.TrackAsync(customer, feature, v)).ShouldBe(200);
        }

        var first = await Api.OkAsync("events.list", new ListEventsParams { CustomerId = customer, Limit = 2 }, C.CursorListResponseEventItem);
        var second = await Api.OkAsync("events.list", new ListEventsParams { CustomerId = customer, Limit = 2, StartCursor = first.NextCursor }, C.CursorListResponseEventItem);
        var third = await Api.OkAsync("events.list", new ListEventsParams { CustomerId = customer, Limit = 2, StartCursor = second.NextCursor }, C.CursorListResponseEventItem);

        Assert.Equal([5m, 4m], first.List.Select(e => e.Value));
        Assert.Equal([3m, 2m], second.List.Select(e => e.Value));
        Assert.Equal([1m], third.List.Select(e => e.Value));
        Assert.Null(third.NextCursor);
    }

    [Fact]
    public async Task List_CustomRange_FiltersByTimestamp()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var dayAgo = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();
        (await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":7,"timestamp":{{dayAgo}}}""")).ShouldBe(200);
        (await Api.TrackAsync(customer, feature, 8)).ShouldBe(200);

        var res = await Api.PostAsync("events.list",
            $$$"""{"customer_id":"{{{customer}}}","custom_range":{"start":{{{dayAgo - 1000}}},"end":{{{dayAgo + 1000}}}}}""");

        var list = res.ShouldBe(200).As(C.CursorListResponseEventItem).List;
        Assert.Equal(7m, Assert.Single(list).Value);
    }

    [Theory]
    [InlineData("""{"start_cursor":"garbage!!"}""", 400, "invalid_cursor", "start_cursor")]
    [InlineData("""{"start_cursor":"Y3VzOjE"}""", 400, "invalid_cursor", "start_cursor")]
    [InlineData("""{"limit":0}""", 400, "invalid_inputs", "limit")]
    [InlineData("""{"limit":1001}""", 400, "invalid_inputs", "limit")]
    [InlineData("""{"feature_id":5}""", 400, "invalid_inputs", "feature_id")]
    [InlineData("""{"custom_range":{"start":20,"end":10}}""", 400, "invalid_inputs", "custom_range")]
    public async Task List_BadInput_Is400(string body, int status, string code, string field)
    {
        var res = await Api.PostAsync("events.list", body);

        res.ShouldFail(status, code, field);
    }
}
