using System.Globalization;
using Tally.Contracts;

namespace Tally.Server.Tests.Api.Events;

/// <summary>
/// events.aggregate on each store: relative and billing-cycle ranges follow the customer's sandbox test clock (every
/// bin present, zeros included), entity scope, and the $customer_id / $entity_id / $plan_id / property groups with
/// refunds counted and the smaller groups folded into Other.
/// </summary>
public sealed class AggregateClockAndGroupTests(AggregateStores stores) : IClassFixture<AggregateStores>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private const long Hour = 3_600_000;
    private const long Day = 24 * Hour;

    private static long DayStart(long ms) => ms - (ms % Day);

    private static long HourStart(long ms) => ms - (ms % Hour);

    private static Task<ApiResult> TrackAtAsync(TallyApi api, string customer, string feature, decimal value, long? timestamp = null,
        string? entity = null, string? properties = null) =>
        api.PostAsync("balances.track", $$"""
            {"customer_id":"{{customer}}","feature_id":"{{feature}}","value":{{value.ToString(CultureInfo.InvariantCulture)}}{{(timestamp is null ? "" : $",\"timestamp\":{timestamp}")}}{{(entity is null ? "" : $",\"entity_id\":\"{entity}\"")}}{{(properties is null ? "" : ",\"properties\":" + properties)}}}
            """);

    private static async Task<AggregateEventsResponse> AggregateAsync(TallyApi api, string body)
    {
        var res = await api.PostAsync("events.aggregate", body);
        res.ShouldBe(200);
        return res.As(C.AggregateEventsResponse);
    }

    /// <summary>Moves the customer's clock <paramref name="ahead"/> past real time; answers the clock's now.</summary>
    private static async Task<long> AdvanceAsync(TallyApi api, string customer, long ahead)
    {
        var res = await api.PostAsync("customers.advance_test_clock",
            new AdvanceTestClockParams { CustomerId = customer, FrozenTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ahead });
        return res.ShouldBe(200).As(C.AdvanceTestClockResponse).FrozenTime;
    }

    private static void AssertEveryBin(AggregateEventsResponse r, string feature, long first, long last, long step)
    {
        Assert.Equal(first, r.List[0].Period);
        Assert.Equal(last, r.List[^1].Period);
        Assert.Equal(((last - first) / step) + 1, r.List.Count);
        Assert.All(r.List.Zip(r.List.Skip(1)), p => Assert.Equal(step, p.Second.Period - p.First.Period));
        Assert.All(r.List, p => Assert.True(p.Values.ContainsKey(feature)));
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_RelativeRanges_EndAtTheCustomersTestClock_EveryBinPresent(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1_000_000);
        var now = await AdvanceAsync(api, customer, 40 * Day);
        (await TrackAtAsync(api, customer, feature, 3, now - (2 * Hour))).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 5, now - (3 * Day))).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, -1, now - (3 * Day) + 1)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 7, now - (20 * Day))).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 11, now - (60 * Day))).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 13, now - (100 * Day))).ShouldBe(200);

        var body = $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"RANGE"}""";
        var h24 = await AggregateAsync(api, body.Replace("RANGE", "24h", StringComparison.Ordinal));
        var d7 = await AggregateAsync(api, body.Replace("RANGE", "7d", StringComparison.Ordinal));
        var d30 = await AggregateAsync(api, body.Replace("RANGE", "30d", StringComparison.Ordinal));
        var d90 = await AggregateAsync(api, body.Replace("RANGE", "90d", StringComparison.Ordinal));

        AssertEveryBin(h24, feature, HourStart(now - Day), HourStart(now), Hour);
        Assert.Equal(25, h24.List.Count);
        Assert.Equal(3m, h24.List.Single(p => p.Period == HourStart(now - (2 * Hour))).Values[feature]);
        Assert.Equal((1L, 3m), (h24.Total[feature].Count, h24.Total[feature].Sum));
        AssertEveryBin(d7, feature, DayStart(now - (7 * Day)), DayStart(now), Day);
        Assert.Equal(4m, d7.List.Single(p => p.Period == DayStart(now - (3 * Day))).Values[feature]);
        Assert.Equal((3L, 7m), (d7.Total[feature].Count, d7.Total[feature].Sum));
        AssertEveryBin(d30, feature, DayStart(now - (30 * Day)), DayStart(now), Day);
        Assert.Equal((4L, 14m), (d30.Total[feature].Count, d30.Total[feature].Sum));
        Assert.Equal(14m, d30.List.Sum(p => p.Values[feature]));
        AssertEveryBin(d90, feature, DayStart(now - (90 * Day)), DayStart(now), Day);
        Assert.Equal((5L, 25m), (d90.Total[feature].Count, d90.Total[feature].Sum));
        Assert.Equal(4, d90.List.Count(p => p.Values[feature] != 0m));
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_BillingCycleRanges_FollowTheCycleUnderTheTestClock(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1_000_000);
        var now = await AdvanceAsync(api, customer, 45 * Day);
        // The cycle holding the clock's now: the balance's monthly reset after the clock moved past the first one.
        var next = (await api.BalanceAsync(customer, feature))!.NextResetAt!.Value;
        var start = DateTimeOffset.FromUnixTimeMilliseconds(next).AddMonths(-1).ToUnixTimeMilliseconds();
        var gap = next - start;
        Assert.InRange(now, start, next);
        Assert.InRange(now - start, 10 * Day, 20 * Day);
        (await TrackAtAsync(api, customer, feature, 4, start - gap + Day)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 2, start - (2 * Day))).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 6, now - Day)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 9, now - (3 * gap) + Day)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 100, now - (3 * gap) - Day)).ShouldBe(200);

        var body = $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"RANGE"}""";
        var last = await AggregateAsync(api, body.Replace("RANGE", "last_cycle", StringComparison.Ordinal));
        var one = await AggregateAsync(api, body.Replace("RANGE", "1bc", StringComparison.Ordinal));
        var three = await AggregateAsync(api, body.Replace("RANGE", "3bc", StringComparison.Ordinal));

        AssertEveryBin(last, feature, DayStart(start - gap), DayStart(start), Day);
        Assert.Equal((2L, 6m), (last.Total[feature].Count, last.Total[feature].Sum));
        AssertEveryBin(one, feature, DayStart(now - gap), DayStart(now), Day);
        Assert.Equal((2L, 8m), (one.Total[feature].Count, one.Total[feature].Sum));
        AssertEveryBin(three, feature, DayStart(now - (3 * gap)), DayStart(now), Day);
        Assert.Equal((4L, 21m), (three.Total[feature].Count, three.Total[feature].Sum));
        Assert.Equal(21m, three.List.Sum(p => p.Values[feature]));
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_EntityScopeAndEntityGroups_CountEachEntitysOwnTracks(string store)
    {
        var api = await stores.ApiAsync(store);
        var seats = await api.MeteredFeatureAsync(consumable: false);
        var feature = await api.MeteredFeatureAsync();
        var customer = await api.CustomerAsync();
        await api.AttachAsync(customer, await api.PlanAsync(Setup.Item(seats, 5, interval: null), Setup.Item(feature, 1000)));
        foreach (var e in new[] { "u1", "u2" })
        {
            await api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = e, FeatureId = seats }, C.EntityResponse);
        }
        (await TrackAtAsync(api, customer, feature, 5, entity: "u1")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, -2, entity: "u1")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 7, entity: "u2")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 11)).ShouldBe(200);

        var scoped = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","entity_id":"u1","feature_id":"{{feature}}","range":"24h"}""");
        var grouped = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"7d","group_by":"$entity_id"}""");

        Assert.Equal((2L, 3m), (scoped.Total[feature].Count, scoped.Total[feature].Sum));
        Assert.Equal(3m, scoped.List.Sum(p => p.Values[feature]));
        var today = grouped.List[^1];
        Assert.Equal(new Dictionary<string, decimal> { ["u1"] = 3, ["u2"] = 7, [""] = 11 }, today.GroupedValues![feature]);
        Assert.Equal(21m, today.Values[feature]);
        Assert.All(grouped.List.SkipLast(1), p => Assert.All(p.GroupedValues![feature].Values, v => Assert.Equal(0m, v)));
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_GroupByCustomerAndPlan_AcrossTheTenant_RefundsCount(string store)
    {
        var api = await stores.ApiAsync(store);
        var feature = await api.MeteredFeatureAsync();
        var p1 = await api.PlanAsync(Setup.Item(feature, 1000));
        var p2 = await api.PlanAsync(Setup.Item(feature, 1000));
        var (c1, c2, c3) = (await api.CustomerAsync(), await api.CustomerAsync(), await api.CustomerAsync());
        await api.AttachAsync(c1, p1);
        await api.AttachAsync(c2, p2);
        await api.AttachAsync(c3, p1);
        (await TrackAtAsync(api, c1, feature, 5)).ShouldBe(200);
        (await TrackAtAsync(api, c2, feature, 7)).ShouldBe(200);
        (await TrackAtAsync(api, c3, feature, 5)).ShouldBe(200);
        (await TrackAtAsync(api, c3, feature, -1)).ShouldBe(200);

        var byCustomer = await AggregateAsync(api, $$"""{"feature_id":"{{feature}}","range":"24h","group_by":"$customer_id","max_groups":2}""");
        var byPlan = await AggregateAsync(api, $$"""{"feature_id":"{{feature}}","range":"24h","group_by":"$plan_id"}""");

        // Groups rank by volume (|refunds| included): c2 7, c3 6, c1 5, so c1 folds into Other.
        var bin = byCustomer.List.Single(p => p.Values[feature] != 0m);
        Assert.Equal(new Dictionary<string, decimal> { [c2] = 7, [c3] = 4, ["Other"] = 5 }, bin.GroupedValues![feature]);
        Assert.Equal((4L, 16m), (byCustomer.Total[feature].Count, byCustomer.Total[feature].Sum));
        var planBin = byPlan.List.Single(p => p.Values[feature] != 0m);
        Assert.Equal(new Dictionary<string, decimal> { [p1] = 9, [p2] = 7 }, planBin.GroupedValues![feature]);
        Assert.Equal(25, byPlan.List.Count);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_GroupByPropertyWithOneGroup_RestFoldsIntoOther_RefundsInTheirGroup(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1000);
        (await TrackAtAsync(api, customer, feature, 10, properties: """{"model":"a"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, -4, properties: """{"model":"a"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 3, properties: """{"model":"b"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 2, properties: """{"model":"c"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 1)).ShouldBe(200);

        var r = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"24h","group_by":"properties.model","max_groups":1}""");

        var bin = r.List.Single(p => p.Values[feature] != 0m);
        Assert.Equal(new Dictionary<string, decimal> { ["a"] = 6, ["Other"] = 6 }, bin.GroupedValues![feature]);
        Assert.Equal(12m, bin.Values[feature]);
        Assert.Equal((5L, 12m), (r.Total[feature].Count, r.Total[feature].Sum));
        Assert.All(r.List, p => Assert.Equal(["Other", "a"], p.GroupedValues![feature].Keys.Order(StringComparer.Ordinal)));
    }
}
