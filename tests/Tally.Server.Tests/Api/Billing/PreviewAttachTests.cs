using Tally.Contracts;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>billing.preview_attach: the attach decision as a dry run — what would change, and nothing written.</summary>
public sealed class PreviewAttachTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private async Task<string> PricedPlanAsync(decimal amount, params PlanItem[] items)
    {
        var id = Id.New("pro");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = id,
            Name = "Pro",
            Price = new PlanPrice { Amount = amount, Interval = "month" },
            Items = [.. items],
        }, C.Plan);
        return id;
    }

    [Fact]
    public async Task Preview_AnswersPlansInAndOut_BalancesBeforeAndAfter_AndAmounts_WritingNothing()
    {
        var (customer, msg, free) = await Api.CustomerWithBalanceAsync(100);
        (await Api.TrackAsync(customer, msg, 30)).ShouldBe(200);
        var pro = await PricedPlanAsync(20, Setup.Item(msg, 500));
        var before = (await Api.GetCustomerRawAsync(customer)).Text;

        var res = await Api.PostAsync("billing.preview_attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_usages":{"enabled":true}}""");

        res.ShouldBe(200);
        var p = res.As(C.PreviewAttachResponse);
        Assert.Equal(customer, p.CustomerId);
        Assert.Equal(pro, Assert.Single(p.Incoming).PlanId);
        Assert.Null(p.Incoming[0].EffectiveAt);
        Assert.Equal(free, Assert.Single(p.Outgoing).PlanId);
        var change = Assert.Single(p.Balances);
        Assert.Equal(msg, change.FeatureId);
        Assert.Equal(70m, change.Before!.Remaining);
        Assert.Equal(470m, change.After!.Remaining);
        Assert.Equal(30m, change.After.Usage);
        var line = Assert.Single(p.LineItems);
        Assert.Equal((20m, pro, (string?)null), (line.Total, line.PlanId, line.FeatureId));
        Assert.Equal(20m, p.Total);
        Assert.NotNull(p.NextCycle);
        Assert.Equal(20m, p.NextCycle!.Total);
        Assert.Equal(line.Period!.End, p.NextCycle.StartsAt);
        Assert.False(p.RedirectToCheckout);
        Assert.Equal(JsonValueKind.Null, res.Json.GetProperty("checkout_type").ValueKind);
        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Text);
    }

    [Fact]
    public async Task Preview_PrepaidItem_PricesWholePacksBeyondTheIncludedAmount()
    {
        var seats = await Api.MeteredFeatureAsync();
        var item = Setup.Item(seats, 5);
        item.Price = new PlanItemPrice { Amount = 3, Interval = "month", BillingMethod = "prepaid", BillingUnits = 10 };
        var plan = await PricedPlanAsync(0, item);
        var customer = await Api.CustomerAsync();

        var p = (await Api.PostAsync("billing.preview_attach",
            $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","feature_quantities":[{"feature_id":"{{{seats}}}","quantity":26}]}"""))
            .ShouldBe(200).As(C.PreviewAttachResponse);

        // 26 − 5 included = 21 units → 3 packs of 10 → 9.
        var line = Assert.Single(p.LineItems, l => l.FeatureId == seats);
        Assert.Equal((9m, 26m), (line.Total, line.Quantity));
        Assert.Equal(35m, Assert.Single(p.Balances).After!.Granted);
        Assert.Equal(26m, Assert.Single(Assert.Single(p.Incoming).FeatureQuantities).Quantity);
        Assert.Empty((await Api.GetCustomerAsync(customer)).Subscriptions);
    }

    [Fact]
    public async Task Preview_WithATrial_DueNowIsNothing_AndTheCycleStartsWhenTheTrialEnds()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await PricedPlanAsync(20, Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();

        var p = (await Api.PostAsync("billing.preview_attach",
            $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","free_trial":{"duration_length":7,"duration_type":"day","card_required":true}}"""))
            .ShouldBe(200).As(C.PreviewAttachResponse);

        Assert.Empty(p.LineItems);
        Assert.Equal(0m, p.Total);
        Assert.Equal(20m, p.NextCycle!.Total);
        Assert.Null(Assert.Single(p.Incoming).ExpiresAt);
    }

    [Fact]
    public async Task Preview_RefusesWhatAttachRefuses()
    {
        var (customer, _, plan) = await Api.CustomerWithBalanceAsync(10);

        (await Api.PostAsync("billing.preview_attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}"}"""))
            .ShouldFail(409, "plan_already_attached", plan);
        (await Api.PostAsync("billing.preview_attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"no_such_plan"}"""))
            .ShouldFail(404, "product_not_found");
        (await Api.PostAsync("billing.preview_attach", $$$"""{"customer_id":"nobody_here","plan_id":"{{{plan}}}"}"""))
            .ShouldFail(404, "customer_not_found");
        (await Api.PostAsync("billing.preview_attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","customize":{"remove_items":[{}]}}"""))
            .ShouldBeInvalid("customize.remove_items[0]");
    }

    [Fact]
    public async Task Preview_ScheduledStart_IsEffectiveThen_AndDueNowIsNothing()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await PricedPlanAsync(20, Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();
        var start = DateTimeOffset.UtcNow.AddDays(40).ToUnixTimeMilliseconds();

        var p = (await Api.PostAsync("billing.preview_attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","starts_at":{{{start}}}}"""))
            .ShouldBe(200).As(C.PreviewAttachResponse);

        Assert.Equal(start, Assert.Single(p.Incoming).EffectiveAt);
        Assert.Empty(p.LineItems);
        Assert.Equal(start, p.NextCycle!.StartsAt);
        Assert.Empty(p.Balances);
    }
}
