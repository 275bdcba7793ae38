using Tally.Contracts;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>
/// <c>customize</c> on billing.attach and billing.update (Autumn's shape): this customer's own items and base price;
/// the plan in the catalog stays as it is.
/// </summary>
public sealed class CustomizeTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task Attach_CustomizeItems_GrantsTheCustomItems_AndTheCatalogPlanIsUnchanged()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 100));
        var (custom, plain) = (await Api.CustomerAsync(), await Api.CustomerAsync());

        (await Api.PostAsync("billing.attach", $$$"""
            {"customer_id":"{{{custom}}}","plan_id":"{{{plan}}}",
             "customize":{"items":[{"feature_id":"{{{msg}}}","included":500,"reset":{"interval":"month"}}]}}
            """)).ShouldBe(200);
        await Api.AttachAsync(plain, plan);

        Assert.Equal(500m, (await Api.BalanceAsync(custom, msg))!.Granted);
        Assert.Equal(100m, (await Api.BalanceAsync(plain, msg))!.Granted);
        var catalog = await Api.OkAsync("plans.get", new GetPlanParams { PlanId = plan }, C.Plan);
        Assert.Equal(100m, Assert.Single(catalog.Items).Included);
        var sub = Assert.Single((await Api.GetCustomerAsync(custom)).Subscriptions);
        Assert.Equal(500m, Assert.Single(sub.Plan!.Items).Included);
        Assert.Null(Assert.Single((await Api.GetCustomerAsync(plain)).Subscriptions).Plan);
    }

    [Fact]
    public async Task Attach_CustomizeAddAndRemoveItems_ChangeOnlyThoseItems()
    {
        var (msg, words, calls) = (await Api.MeteredFeatureAsync(), await Api.MeteredFeatureAsync(), await Api.MeteredFeatureAsync());
        var plan = await Api.PlanAsync(Setup.Item(msg, 100), Setup.Item(words, 10));
        var customer = await Api.CustomerAsync();

        (await Api.PostAsync("billing.attach", $$$"""
            {"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}",
             "customize":{"remove_items":[{"feature_id":"{{{words}}}"}],"add_items":[{"feature_id":"{{{calls}}}","included":7}]}}
            """)).ShouldBe(200);

        var c = await Api.GetCustomerAsync(customer);
        Assert.Equal(100m, c.Balances[msg].Granted);
        Assert.Equal(7m, c.Balances[calls].Granted);
        Assert.False(c.Balances.ContainsKey(words));
    }

    [Fact]
    public async Task DeleteFeature_UsedOnlyByACustomersCustomizedItems_IsRefused_AndTheCustomerStillServes()
    {
        var (msg, flag) = (await Api.MeteredFeatureAsync(), await Api.BooleanFeatureAsync());
        var plan = await Api.PlanAsync(Setup.Item(msg, 100));
        var customer = await Api.CustomerAsync();
        (await Api.PostAsync("billing.attach", $$$"""
            {"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","customize":{"add_items":[{"feature_id":"{{{flag}}}"}]}}
            """)).ShouldBe(200);

        var refused = await Api.PostAsync("features.delete", $$"""{"feature_id":"{{flag}}"}""");

        refused.ShouldBe(400);
        Assert.Contains(flag, refused.Text, StringComparison.Ordinal);
        var sub = Assert.Single((await Api.GetCustomerAsync(customer)).Subscriptions);
        Assert.Contains(sub.Plan!.Items, i => i.FeatureId == flag);
    }

    [Fact]
    public async Task Attach_CustomizePrice_IsThisCustomersPrice_AndNullRemovesIt()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = Id.New("pro");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "Pro",
            Price = new PlanPrice { Amount = 10, Interval = "month" },
            Items = [Setup.Item(msg, 100)],
        }, C.Plan);
        var (cheaper, free) = (await Api.CustomerAsync(), await Api.CustomerAsync());

        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{cheaper}}}","plan_id":"{{{plan}}}","customize":{"price":{"amount":4,"interval":"month"} }}"""))
            .ShouldBe(200);
        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{free}}}","plan_id":"{{{plan}}}","customize":{"price":null}}""")).ShouldBe(200);

        Assert.Equal(4m, Assert.Single((await Api.GetCustomerAsync(cheaper)).Subscriptions).Plan!.Price!.Amount);
        Assert.Null(Assert.Single((await Api.GetCustomerAsync(free)).Subscriptions).Plan!.Price);
        Assert.Equal(10m, (await Api.OkAsync("plans.get", new GetPlanParams { PlanId = plan }, C.Plan)).Price!.Amount);
    }

    [Fact]
    public async Task Attach_CustomizeFreeTrialNull_StartsWithoutThePlansTrial()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = Id.New("trial");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "Trial",
            Price = new PlanPrice { Amount = 10, Interval = "month" },
            Items = [Setup.Item(msg, 100)],
            FreeTrial = new FreeTrial { DurationLength = 14, DurationType = "day" },
        }, C.Plan);
        var (trial, noTrial) = (await Api.CustomerAsync(), await Api.CustomerAsync());

        await Api.AttachAsync(trial, plan);
        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{noTrial}}}","plan_id":"{{{plan}}}","customize":{"free_trial":null}}""")).ShouldBe(200);

        Assert.NotNull(Assert.Single((await Api.GetCustomerAsync(trial)).Subscriptions).TrialEndsAt);
        Assert.Null(Assert.Single((await Api.GetCustomerAsync(noTrial)).Subscriptions).TrialEndsAt);
    }

    [Theory]
    [InlineData("""{"items":[],"add_items":[]}""", 400, "customize.items")]
    [InlineData("""{"billing_controls":{"usage_limits":[{"feature_id":"x","limit":1,"interval":"day"}]}}""", 400, "customize.billing_controls")]
    [InlineData("""{"upsert_licenses":[{"license_plan_id":"x"}]}""", 400, "customize.upsert_licenses")]
    [InlineData("""{"remove_items":[{"feature_id":"nothing_here"}]}""", 400, "customize.remove_items[0]")]
    [InlineData("""{"remove_items":[{}]}""", 400, "customize.remove_items[0]")]
    [InlineData("""{"price":{"amount":5,"interval":"fortnight"}}""", 400, "customize.price.interval")]
    [InlineData("""{"items":[{"feature_id":"no_such_feature","included":1}]}""", 404, "customize.items[0].feature_id")]
    [InlineData("""{"items":[{"feature_id":"FEATURE","included":-1}]}""", 400, "customize.items[0].included")]
    [InlineData("""{"add_items":[{"feature_id":"FEATURE","included":1,"reset":{"interval":"month"}}]}""", 400, "customize.add_items[0]")]
    [InlineData("""{"free_trial":{"duration_length":0}}""", 400, "customize.free_trial.duration_length")]
    public async Task Attach_BadCustomize_IsRefusedNamingTheField_AndChangesNothing(string customize, int status, string field)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        var plan = await Api.PlanAsync(Setup.Item(feature, 100));
        var before = (await Api.GetCustomerRawAsync(customer)).Text;

        var res = await Api.PostAsync("billing.attach",
            $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","customize":""" + customize.Replace("FEATURE", feature, StringComparison.Ordinal) + "}");

        Assert.Equal(status, res.Status);
        Assert.Contains(field, res.Message, StringComparison.Ordinal);
        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Text);
    }

    [Fact]
    public async Task Update_Customize_ReplacesTheItems_KeepingWhatWasUsed()
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(100);
        (await Api.TrackAsync(customer, feature, 30)).ShouldBe(200);

        (await Api.PostAsync("billing.update", $$$"""
            {"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}",
             "customize":{"items":[{"feature_id":"{{{feature}}}","included":200,"reset":{"interval":"month"}}]}}
            """)).ShouldBe(200);

        var b = (await Api.BalanceAsync(customer, feature))!;
        Assert.Equal(200m, b.Granted);
        Assert.Equal(30m, b.Usage);
        Assert.Equal(170m, b.Remaining);
        Assert.Equal(200m, Assert.Single(Assert.Single((await Api.GetCustomerAsync(customer)).Subscriptions).Plan!.Items).Included);
    }

    [Fact]
    public async Task Update_QuantitiesOfACustomizedPlan_UseTheCustomItems()
    {
        var seats = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(seats, 1));
        var customer = await Api.CustomerAsync();
        (await Api.PostAsync("billing.attach", $$$"""
            {"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","feature_quantities":[{"feature_id":"{{{seats}}}","quantity":20}],
             "customize":{"items":[{"feature_id":"{{{seats}}}","included":5,"reset":{"interval":"month"},
               "price":{"amount":2,"interval":"month","billing_method":"prepaid"}}]}}
            """)).ShouldBe(200);
        Assert.Equal(20m, (await Api.BalanceAsync(customer, seats))!.Granted);

        (await Api.PostAsync("billing.update", $$$"""
            {"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","feature_quantities":[{"feature_id":"{{{seats}}}","quantity":30}]}
            """)).ShouldBe(200);

        Assert.Equal(30m, (await Api.BalanceAsync(customer, seats))!.Granted);
    }
}
