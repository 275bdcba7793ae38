using Tally.Contracts;
using Tally.Server.Tests.Api.Events;

namespace Tally.Server.Tests.Api.Plans;

/// <summary>
/// Plan-level default billing_controls through HTTP on each store: stored, echoed, merged per key and versioned with the
/// plan; enforced on the customers holding the plan, unless the customer's own entry shadows the default.
/// </summary>
public sealed class PlanControlsRouteTests(AggregateStores stores) : IClassFixture<AggregateStores>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;

    private static string DailyLimit(string feature, int limit) =>
        $$"""{"usage_limits":[{"feature_id":"{{feature}}","enabled":true,"limit":{{limit}},"interval":"day","anchor":"utc"}]}""";

    private static async Task<string> PlanWithControlsAsync(TallyApi api, string feature, string controls)
    {
        var id = Id.New("plan");
        (await api.PostAsync("plans.create", $$"""
            {"plan_id":"{{id}}","name":"{{id}}","items":[{"feature_id":"{{feature}}","included":1000,"reset":{"interval":"month"} }],"billing_controls":{{controls}} }
            """)).ShouldBe(200);
        return id;
    }

    private static async Task<JsonElement> PlanControlsAsync(TallyApi api, string plan, int? version = null)
    {
        var res = await api.PostAsync("plans.get", version is null ? $$"""{"plan_id":"{{plan}}"}""" : $$"""{"plan_id":"{{plan}}","version":{{version}}}""");
        return res.ShouldBe(200).Json.GetProperty("billing_controls");
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task PlanControls_StoredEchoedAndMergedPerKey_InvalidIs400(string store)
    {
        var api = await stores.ApiAsync(store);
        var feature = await api.MeteredFeatureAsync();
        var plan = await PlanWithControlsAsync(api, feature, DailyLimit(feature, 10));

        var created = await PlanControlsAsync(api, plan);
        (await api.PostAsync("plans.update", $$"""{"plan_id":"{{plan}}","billing_controls":{"overage_allowed":[{"feature_id":"{{feature}}","enabled":false}]} }""")).ShouldBe(200);
        var merged = await PlanControlsAsync(api, plan);
        var bad = await api.PostAsync("plans.update", $$"""{"plan_id":"{{plan}}","billing_controls":{"usage_limits":[{"feature_id":"{{feature}}","limit":5}]} }""");
        var badCreate = await api.PostAsync("plans.create", """{"plan_id":"p_bad_controls","name":"x","billing_controls":{"spend_limits":{}}}""");
        var afterBad = await PlanControlsAsync(api, plan);
        (await api.PostAsync("plans.update", $$"""{"plan_id":"{{plan}}","billing_controls":{"usage_limits":null} }""")).ShouldBe(200);
        var removed = await PlanControlsAsync(api, plan);

        Assert.Equal(10, created.GetProperty("usage_limits")[0].GetProperty("limit").GetInt32());
        Assert.Equal(10, merged.GetProperty("usage_limits")[0].GetProperty("limit").GetInt32());
        Assert.False(merged.GetProperty("overage_allowed")[0].GetProperty("enabled").GetBoolean());
        bad.ShouldBeInvalid("billing_controls.usage_limits[0].interval");
        badCreate.ShouldBeInvalid("billing_controls.spend_limits");
        Assert.Equal(merged.GetRawText(), afterBad.GetRawText());
        Assert.False(removed.TryGetProperty("usage_limits", out _));
        Assert.Equal(404, (await api.PostAsync("plans.get", """{"plan_id":"p_bad_controls"}""")).Status);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task PlanUsageLimit_CapsItsCustomers_CheckFalseAndTrackRefused_CustomerEntryShadowsIt(string store)
    {
        var api = await stores.ApiAsync(store);
        var feature = await api.MeteredFeatureAsync();
        var plan = await PlanWithControlsAsync(api, feature, DailyLimit(feature, 10));
        var (capped, own) = (await api.CustomerAsync(), await api.CustomerAsync());
        await api.AttachAsync(capped, plan);
        await api.AttachAsync(own, plan);
        (await api.PostAsync("customers.update", $$"""{"customer_id":"{{own}}","billing_controls":{{DailyLimit(feature, 25)}}}""")).ShouldBe(200);

        (await api.TrackAsync(capped, feature, 10)).ShouldBe(200);
        var check = await api.CheckAsync(capped, feature, 1);
        var refused = await api.TrackAsync(capped, feature, 1);
        (await api.TrackAsync(own, feature, 20)).ShouldBe(200);
        var ownCheck = await api.CheckAsync(own, feature, 5);

        Assert.False(check.ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
        refused.ShouldFail(400, "usage_limit_exceeded");
        Assert.Equal(990m, (await api.BalanceAsync(capped, feature))!.Remaining);
        Assert.True(ownCheck.ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
        Assert.False((await api.CheckAsync(own, feature, 6)).ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task PlanControls_VersionedWithThePlan_CustomersKeepTheirVersionsDefaults(string store)
    {
        var api = await stores.ApiAsync(store);
        var feature = await api.MeteredFeatureAsync();
        var plan = await PlanWithControlsAsync(api, feature, DailyLimit(feature, 5));
        var early = await api.CustomerAsync();
        await api.AttachAsync(early, plan);

        // An items change on an attached plan makes version 2, here with a looser default.
        var v2 = await api.PostAsync("plans.update", $$"""
            {"plan_id":"{{plan}}","items":[{"feature_id":"{{feature}}","included":2000,"reset":{"interval":"month"} }],"billing_controls":{{DailyLimit(feature, 50)}} }
            """);
        var late = await api.CustomerAsync();
        await api.AttachAsync(late, plan);

        Assert.Equal(2, v2.ShouldBe(200).As(C.Plan).Version);
        Assert.Equal(5, (await PlanControlsAsync(api, plan, 1)).GetProperty("usage_limits")[0].GetProperty("limit").GetInt32());
        Assert.Equal(50, (await PlanControlsAsync(api, plan, 2)).GetProperty("usage_limits")[0].GetProperty("limit").GetInt32());
        Assert.False((await api.CheckAsync(early, feature, 6)).ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
        Assert.True((await api.CheckAsync(late, feature, 6)).ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
        Assert.False((await api.CheckAsync(late, feature, 51)).ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task PlanUsageLimit_ConcurrentTracks_AcceptedSumNeverExceedsIt(string store)
    {
        var api = await stores.ApiAsync(store);
        var feature = await api.MeteredFeatureAsync();
        var plan = await PlanWithControlsAsync(api, feature, DailyLimit(feature, 40));
        var customer = await api.CustomerAsync();
        await api.AttachAsync(customer, plan);

        var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Task.Run(() => api.TrackAsync(customer, feature, 3, overage: "reject"))));

        Assert.Equal(13, results.Count(r => r.Status == 200));
        Assert.All(results.Where(r => r.Status != 200), r => r.ShouldFail(400, "usage_limit_exceeded"));
        Assert.Equal(39m, (await api.BalanceAsync(customer, feature))!.Usage);
    }
}
