using Tally.Contracts;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>balances.batch_track, balances.create, balances.update and balances.delete (autumn-api.md §4.3, §4.5–4.7): routes and errors.</summary>
public sealed class BalanceWriteRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task BatchTrack_AppliesEveryItem_AndAnswers202()
    {
        var (a, feature, plan) = await Api.CustomerWithBalanceAsync(100);
        var b = await Api.CustomerAsync();
        await Api.AttachAsync(b, plan);

        var res = await Api.PostAsync("balances.batch_track", $$"""
            [{"customer_id":"{{a}}","feature_id":"{{feature}}","value":10},
             {"customer_id":"{{b}}","feature_id":"{{feature}}","value":20},
             {"customer_id":"{{a}}","feature_id":"{{feature}}","value":5}]
            """);

        Assert.True(res.ShouldBe(202).Json.GetProperty("success").GetBoolean());
        Assert.Equal(85m, (await Api.BalanceAsync(a, feature))!.Remaining);
        Assert.Equal(80m, (await Api.BalanceAsync(b, feature))!.Remaining);
        Assert.Equal(2, (await Api.EventsAsync(a)).Count);
    }

    [Theory]
    [InlineData("[]", "body")]
    [InlineData("{}", "body")]
    [InlineData("""[{"customer_id":"x","feature_id":"y","value":"a lot"}]""", "[0].value")]
    public async Task BatchTrack_BadBody_Is400NamingWhatIsWrong(string body, string field)
    {
        var res = await Api.PostAsync("balances.batch_track", body);

        res.ShouldBeInvalid(field);
    }

    [Fact]
    public async Task BatchTrack_OneBadItem_Is400NamingItsIndex_AndAppliesNothing()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var invalid = await Api.PostAsync("balances.batch_track",
            $$"""[{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":10},{"customer_id":"{{customer}}","value":1}]""");
        var unknownFeature = await Api.PostAsync("balances.batch_track",
            $$"""[{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":10},{"customer_id":"{{customer}}","feature_id":"no_such_feature"}]""");
        var unknownCustomer = await Api.PostAsync("balances.batch_track",
            $$"""[{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":10},{"customer_id":"nobody_at_all","feature_id":"{{feature}}"}]""");

        invalid.ShouldBeInvalid("[1].feature_id, event_name");
        unknownFeature.ShouldFail(404, "feature_not_found", "no_such_feature");
        unknownCustomer.ShouldFail(404, "customer_not_found", "nobody_at_all");
        Assert.Equal(100m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Empty(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task Create_StandaloneGrant_ShowsAsItsOwnSource()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();

        var res = await Api.PostAsync("balances.create",
            $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","included_grant":50,"balance_id":"promo","reset":{"interval":"month"}}""");
        var b = await Api.BalanceAsync(customer, feature);

        Assert.True(res.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        Assert.Equal(50m, b!.Granted);
        Assert.Equal(50m, b.Remaining);
        var source = Assert.Single(b.Breakdown!);
        Assert.Equal("promo", source.Id);
        Assert.Null(source.PlanId);
        Assert.Equal("month", source.Reset!.Interval);
        Assert.NotNull(b.NextResetAt);
    }

    [Fact]
    public async Task Create_Unknowns_Are404WithTheirCodes()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();

        var noFeature = await Api.PostAsync("balances.create", $$"""{"customer_id":"{{customer}}","feature_id":"no_such_feature","included_grant":1}""");
        var noCustomer = await Api.PostAsync("balances.create", $$"""{"customer_id":"nobody_at_all","feature_id":"{{feature}}","included_grant":1}""");
        var noEntity = await Api.PostAsync("balances.create", $$"""{"customer_id":"{{customer}}","entity_id":"nobody_e","feature_id":"{{feature}}","included_grant":1}""");

        noFeature.ShouldFail(404, "feature_not_found", "no_such_feature");
        noCustomer.ShouldFail(404, "customer_not_found", "nobody_at_all");
        noEntity.ShouldFail(404, "entity_not_found", "nobody_e");
        Assert.Empty((await Api.GetCustomerAsync(customer)).Balances);
    }

    [Theory]
    [InlineData(""" "included_grant":5,"unlimited":true """, "included_grant, unlimited")]
    [InlineData(""" "reset":{"interval":"month"} """, "included_grant, unlimited")]
    [InlineData(""" "included_grant":-1 """, "included_grant")]
    [InlineData(""" "included_grant":5,"reset":{"interval":"fortnight"} """, "reset.interval")]
    [InlineData(""" "included_grant":5,"rollover":{"max":5,"length":1} """, "rollover")]
    [InlineData(""" "included_grant":5,"expires_at":1000 """, "expires_at")]
    public async Task Create_BadGrant_Is400NamingTheField(string fields, string field)
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();

        var res = await Api.PostAsync("balances.create", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}",{{fields}}}""");

        res.ShouldBeInvalid(field);
        Assert.Empty((await Api.GetCustomerAsync(customer)).Balances);
    }

    [Fact]
    public async Task Create_DuplicateBalanceId_Is400()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();
        var body = $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","included_grant":5,"balance_id":"promo"}""";
        (await Api.PostAsync("balances.create", body)).ShouldBe(200);

        var res = await Api.PostAsync("balances.create", body);

        res.ShouldFail(400, "invalid_request", "balance_id");
        Assert.Equal(5m, (await Api.BalanceAsync(customer, feature))!.Granted);
    }

    [Fact]
    public async Task Update_Unknowns_Are404_AndBadCombinationsAre400()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var noCustomer = await Api.PostAsync("balances.update", $$"""{"customer_id":"nobody_at_all","feature_id":"{{feature}}","remaining":1}""");
        var noFeature = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"no_such_feature","remaining":1}""");
        var noEntity = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","entity_id":"nobody_e","feature_id":"{{feature}}","remaining":1}""");
        var both = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","remaining":1,"add_to_balance":1}""");
        var remainingAndUsage = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","remaining":1,"usage":1}""");
        var nothing = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}"}""");
        var pastExpiry = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","expires_at":1000}""");

        noCustomer.ShouldFail(404, "customer_not_found", "nobody_at_all");
        noFeature.ShouldFail(404, "feature_not_found", "no_such_feature");
        noEntity.ShouldFail(404, "entity_not_found", "nobody_e");
        both.ShouldBeInvalid("remaining, add_to_balance");
        remainingAndUsage.ShouldBeInvalid("remaining, usage");
        nothing.ShouldFail(400, "invalid_inputs");
        pastExpiry.ShouldBeInvalid("expires_at");
        Assert.Equal(100m, (await Api.BalanceAsync(customer, feature))!.Remaining);
    }

    [Fact]
    public async Task Delete_StandaloneGrant_ByBalanceId()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();
        (await Api.PostAsync("balances.create", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","included_grant":5,"balance_id":"promo"}""")).ShouldBe(200);

        var res = await Api.PostAsync("balances.delete", $$"""{"customer_id":"{{customer}}","balance_id":"promo"}""");
        var again = await Api.PostAsync("balances.delete", $$"""{"customer_id":"{{customer}}","balance_id":"promo"}""");

        Assert.True(res.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        Assert.False((await Api.GetCustomerAsync(customer)).Balances.ContainsKey(feature));
        again.ShouldFail(404, "invalid_request", "promo");
    }

    [Fact]
    public async Task Delete_UnpaidPlanBalance_IsDeleted_AndUnknownsAre404()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);

        var noCustomer = await Api.PostAsync("balances.delete", $$"""{"customer_id":"nobody_at_all","feature_id":"{{feature}}"}""");
        var noFeature = await Api.PostAsync("balances.delete", $$"""{"customer_id":"{{customer}}","feature_id":"no_such_feature"}""");
        var neither = await Api.PostAsync("balances.delete", $$"""{"customer_id":"{{customer}}"}""");
        var recalcWithoutFeature = await Api.PostAsync("balances.delete", $$"""{"customer_id":"{{customer}}","balance_id":"x","recalculate_balances":true}""");
        Assert.Equal(10m, (await Api.BalanceAsync(customer, feature))!.Granted);
        var plan = await Api.PostAsync("balances.delete", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}"}""");

        noCustomer.ShouldFail(404, "customer_not_found");
        noFeature.ShouldFail(404, "feature_not_found");
        neither.ShouldBeInvalid("balance_id, feature_id");
        recalcWithoutFeature.ShouldBeInvalid("feature_id");
        Assert.True(plan.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        Assert.Null(await Api.BalanceAsync(customer, feature));
    }
}
