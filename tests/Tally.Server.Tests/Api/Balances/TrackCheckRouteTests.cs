using Tally.Contracts;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>balances.track, balances.check and their legacy routes /v1/track and /v1/check (autumn-api.md §4.1, §4.2).</summary>
public sealed class TrackCheckRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Theory]
    [InlineData("balances.track")]
    [InlineData("track")]
    public async Task Track_Deducts_AndAnswersTheBalanceAndItsDeductions(string route)
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(100);

        var res = await Api.PostAsync(route, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":30}""");

        var t = res.ShouldBe(200).As(C.BalancesTrackResponse);
        Assert.Equal(customer, t.CustomerId);
        Assert.Equal(30m, t.Value);
        Assert.Equal(feature, t.Balance!.FeatureId);
        Assert.Equal(100m, t.Balance.Granted);
        Assert.Equal(70m, t.Balance.Remaining);
        Assert.Equal(30m, t.Balance.Usage);
        Assert.Null(t.Balances);
        var d = Assert.Single(t.Deductions!);
        Assert.Equal(feature, d.FeatureId);
        Assert.Equal(plan, d.PlanId);
        Assert.Equal(30m, d.Value);
        Assert.Equal("month", d.Reset!.Interval);
        Assert.Equal(t.Balance.Breakdown![0].Id, d.BalanceId);
        Assert.Equal(70m, (await Api.BalanceAsync(customer, feature))!.Remaining);
    }

    [Fact]
    public async Task Track_ValueDefaultsToOne()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);

        var res = await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}"}""");

        Assert.Equal(1m, res.ShouldBe(200).Json.Dec("value"));
        Assert.Equal(9m, res.Json.GetProperty("balance").Dec("remaining"));
    }

    [Fact]
    public async Task Track_CapsAtZero_ButRecordsTheRequestedValue()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var res = await Api.TrackAsync(customer, feature, 150);
        var events = await Api.EventsAsync(customer);

        var b = res.ShouldBe(200).As(C.BalancesTrackResponse).Balance!;
        Assert.Equal(0m, b.Remaining);
        Assert.Equal(100m, b.Usage);
        Assert.Equal(150m, Assert.Single(events).Value);
        Assert.Equal(100m, Assert.Single(events[0].Deductions!).Value);
    }

    [Fact]
    public async Task Track_Overflow_GoesPastTheGrant()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var res = await Api.TrackAsync(customer, feature, 120, overage: "overflow");

        var b = res.ShouldBe(200).As(C.BalancesTrackResponse).Balance!;
        Assert.Equal(0m, b.Remaining);
        Assert.Equal(120m, b.Usage);
        Assert.Equal(100m, b.Granted);
    }

    [Fact]
    public async Task Track_RejectThatDoesNotFit_Is400InsufficientBalance_AndChangesNothing()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var before = (await Api.GetCustomerRawAsync(customer)).Body;

        var res = await Api.TrackAsync(customer, feature, 101, overage: "reject");

        res.ShouldFail(400, "insufficient_balance", feature);
        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Body);
        Assert.Empty(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task Track_FeatureTheCustomerHasNoBalanceOf_Is200WithNullBalance_AndRecordsTheEvent()
    {
        var customer = await Api.CustomerAsync();
        var feature = await Api.MeteredFeatureAsync();

        var res = await Api.TrackAsync(customer, feature, 5);

        Assert.Equal(JsonValueKind.Null, res.ShouldBe(200).Json.GetProperty("balance").ValueKind);
        var e = Assert.Single(await Api.EventsAsync(customer));
        Assert.Equal(5m, e.Value);
        Assert.Empty(e.Deductions!);
    }

    [Theory]
    [InlineData("balances.track")]
    [InlineData("track")]
    public async Task Track_Unknowns_Are404WithTheirCodes(string route)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);

        var noCustomer = await Api.PostAsync(route, new TrackParams { CustomerId = "nobody_at_all", FeatureId = feature });
        var noFeature = await Api.PostAsync(route, new TrackParams { CustomerId = customer, FeatureId = "no_such_feature" });
        var noEntity = await Api.PostAsync(route, new TrackParams { CustomerId = customer, FeatureId = feature, EntityId = "nobody_e" });
        var noEvent = await Api.PostAsync(route, $$"""{"customer_id":"{{customer}}","event_name":"no_such_event"}""");
        var insufficient = await Api.PostAsync(route, new TrackParams { CustomerId = customer, FeatureId = feature, Value = 11, OverageBehavior = "reject" });

        noCustomer.ShouldFail(404, "customer_not_found", "nobody_at_all");
        noFeature.ShouldFail(404, "feature_not_found", "no_such_feature");
        noEntity.ShouldFail(404, "entity_not_found", "nobody_e");
        noEvent.ShouldFail(404, "invalid_request", "No features found for event name: no_such_event");
        insufficient.ShouldFail(400, "insufficient_balance");
        Assert.Equal(10m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        (await Api.GetCustomerRawAsync("nobody_at_all")).ShouldFail(404, "customer_not_found");
    }

    [Fact]
    public async Task Track_FutureTimestamp_Is400NamingTimestamp()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();

        var res = await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","timestamp":{{future}}}""");

        res.ShouldBeInvalid("timestamp");
    }

    [Fact]
    public async Task Track_PastTimestamp_IsKeptOnTheEvent()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        var past = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds();

        var res = await Api.PostAsync("balances.track",
            $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","timestamp":{{{past}}},"properties":{"model":"gpt"}}""");

        res.ShouldBe(200);
        var e = Assert.Single(await Api.EventsAsync(customer));
        Assert.Equal(past, e.Timestamp);
        Assert.Equal("gpt", e.Properties.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("balances.check")]
    [InlineData("check")]
    public async Task Check_AnswersAllowedAndTheBalance_ChangingNothing(string route)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var yes = await Api.PostAsync(route, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","required_balance":100}""");
        var no = await Api.PostAsync(route, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","required_balance":100.5}""");
        var byDefault = await Api.PostAsync(route, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}"}""");

        var y = yes.ShouldBe(200).As(C.CheckResponse);
        Assert.True(y.Allowed);
        Assert.Equal(customer, y.CustomerId);
        Assert.Equal(100m, y.RequiredBalance);
        Assert.Equal(100m, y.Balance!.Remaining);
        Assert.Null(y.Flag);
        var n = no.ShouldBe(200).As(C.CheckResponse);
        Assert.False(n.Allowed);
        Assert.Equal(100m, n.Balance!.Remaining);
        Assert.Equal(1m, byDefault.ShouldBe(200).Json.Dec("required_balance"));
        Assert.Equal(100m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Empty(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task Check_NoBalance_IsNotAllowed_WithNullBalanceAndFlag()
    {
        var customer = await Api.CustomerAsync();
        var feature = await Api.MeteredFeatureAsync();

        var res = await Api.CheckAsync(customer, feature);

        res.ShouldBe(200);
        Assert.False(res.Json.GetProperty("allowed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, res.Json.GetProperty("balance").ValueKind);
        Assert.Equal(JsonValueKind.Null, res.Json.GetProperty("flag").ValueKind);
    }

    [Fact]
    public async Task Check_BooleanFeature_AllowedWithItsFlag_SendEventIs400()
    {
        var sso = await Api.BooleanFeatureAsync();
        var plan = await Api.PlanAsync(new PlanItem { FeatureId = sso });
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        var res = await Api.CheckAsync(customer, sso);
        var send = await Api.CheckAsync(customer, sso, sendEvent: true);

        var c = res.ShouldBe(200).As(C.CheckResponse);
        Assert.True(c.Allowed);
        Assert.Equal(sso, c.Flag!.FeatureId);
        Assert.Equal(plan, c.Flag.PlanId);
        Assert.Null(c.Balance);
        send.ShouldFail(400, "invalid_request", "send_event");
    }

    [Fact]
    public async Task Check_SendEvent_ConsumesAllOrNothing()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);

        var yes = await Api.CheckAsync(customer, feature, 7, sendEvent: true);
        var no = await Api.CheckAsync(customer, feature, 4, sendEvent: true);

        var y = yes.ShouldBe(200).As(C.CheckResponse);
        Assert.True(y.Allowed);
        Assert.Equal(3m, y.Balance!.Remaining);
        var n = no.ShouldBe(200).As(C.CheckResponse);
        Assert.False(n.Allowed);
        Assert.Equal(3m, n.Balance!.Remaining);
        Assert.Equal(7m, Assert.Single(await Api.EventsAsync(customer)).Value);
    }

    [Theory]
    [InlineData("balances.check")]
    [InlineData("check")]
    public async Task Check_Unknowns_Are404WithTheirCodes(string route)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);

        var noCustomer = await Api.PostAsync(route, new CheckParams { CustomerId = "nobody_at_all", FeatureId = feature });
        var noFeature = await Api.PostAsync(route, new CheckParams { CustomerId = customer, FeatureId = "no_such_feature" });
        var noEntity = await Api.PostAsync(route, new CheckParams { CustomerId = customer, FeatureId = feature, EntityId = "nobody_e" });

        noCustomer.ShouldFail(404, "customer_not_found", "nobody_at_all");
        noFeature.ShouldFail(404, "feature_not_found", "no_such_feature");
        noEntity.ShouldFail(404, "entity_not_found", "nobody_e");
        (await Api.GetCustomerRawAsync("nobody_at_all")).ShouldFail(404, "customer_not_found");
    }
}
