using Tally.Contracts;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>billing.attach (autumn-api.md §0, §5.12): plans become balances; every error code it can produce.</summary>
public sealed class AttachTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task Attach_GrantsThePlanItems_AndAnswersWithoutPaymentUrl()
    {
        var msg = await Api.MeteredFeatureAsync();
        var sso = await Api.BooleanFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 100), new PlanItem { FeatureId = sso });
        var customer = await Api.CustomerAsync();

        var res = await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"{{plan}}","redirect_mode":"if_required"}""");
        var c = await Api.GetCustomerAsync(customer);

        res.ShouldBe(200);
        Assert.Equal(customer, res.Json.Str("customer_id"));
        Assert.Equal(JsonValueKind.Null, res.Json.GetProperty("payment_url").ValueKind);
        var sub = Assert.Single(c.Subscriptions);
        Assert.Equal(plan, sub.PlanId);
        Assert.Equal("active", sub.Status);
        Assert.Equal(100m, c.Balances[msg].Granted);
        Assert.Equal(100m, c.Balances[msg].Remaining);
        Assert.Equal(0m, c.Balances[msg].Usage);
        Assert.NotNull(c.Balances[msg].NextResetAt);
        Assert.Equal(sso, c.Flags[sso].FeatureId);
        Assert.False(c.Balances.ContainsKey(sso));
    }

    [Fact]
    public async Task Attach_OneOffPlan_IsAPurchase()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = Id.New("pack");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "Pack",
            AddOn = true,
            Price = new PlanPrice { Amount = 5, Interval = "one_off" },
            Items = [Setup.Item(msg, 50, interval: null)],
        }, C.Plan);
        var customer = await Api.CustomerAsync();

        await Api.AttachAsync(customer, plan);
        var c = await Api.GetCustomerAsync(customer);

        Assert.Empty(c.Subscriptions);
        Assert.Equal(plan, Assert.Single(c.Purchases).PlanId);
        Assert.Equal(50m, c.Balances[msg].Granted);
    }

    [Fact]
    public async Task Attach_Twice_Is409PlanAlreadyAttached_AndGrantsOnce()
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(10);

        var res = await Api.PostAsync("billing.attach", new AttachParams { CustomerId = customer, PlanId = plan });

        res.ShouldFail(409, "plan_already_attached", plan);
        Assert.Equal(10m, (await Api.BalanceAsync(customer, feature))!.Granted);
    }

    [Fact]
    public async Task Attach_UnknownPlan_Is404ProductNotFound()
    {
        var customer = await Api.CustomerAsync();

        var res = await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"no_such_plan"}""");

        res.ShouldFail(404, "product_not_found", "no_such_plan");
    }

    [Fact]
    public async Task Attach_UnknownCustomer_Is404CustomerNotFound_AndCreatesNothing()
    {
        var plan = await Api.PlanAsync();

        var res = await Api.PostAsync("billing.attach", $$"""{"customer_id":"nobody_at_all","plan_id":"{{plan}}"}""");

        res.ShouldFail(404, "customer_not_found", "nobody_at_all");
        (await Api.GetCustomerRawAsync("nobody_at_all")).ShouldFail(404, "customer_not_found");
    }

    [Fact]
    public async Task Attach_UnknownEntity_Is404EntityNotFound()
    {
        var plan = await Api.PlanAsync();
        var customer = await Api.CustomerAsync();

        var res = await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"{{plan}}","entity_id":"nobody_e"}""");

        res.ShouldFail(404, "entity_not_found", "nobody_e");
    }

    [Fact]
    public async Task Attach_ToAnEntity_GivesTheEntityItsOwnBalance()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 25));
        var customer = await Api.CustomerAsync();
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats }, C.EntityResponse);

        await Api.AttachAsync(customer, plan, entityId: "u1");
        var entity = await Api.OkAsync("entities.get", new GetEntityParams { CustomerId = customer, EntityId = "u1" }, C.EntityResponse);

        Assert.Equal(plan, Assert.Single(entity.Subscriptions).PlanId);
        Assert.Equal(25m, entity.Balances[msg].Remaining);
    }

    [Fact]
    public async Task Attach_PrepaidItemWithoutQuantity_Is400NamingFeatureQuantities()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = Id.New("prepaid");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "Prepaid",
            Items = [new PlanItem
            {
                FeatureId = msg,
                Included = 0,
                Reset = new PlanItemReset { Interval = "month" },
                Price = new PlanItemPrice { Amount = 1, Interval = "month", BillingMethod = "prepaid", BillingUnits = 10 },
            }],
        }, C.Plan);
        var customer = await Api.CustomerAsync();

        var missing = await Api.PostAsync("billing.attach", new AttachParams { CustomerId = customer, PlanId = plan });
        var given = await Api.PostAsync("billing.attach",
            new AttachParams { CustomerId = customer, PlanId = plan, FeatureQuantities = [new AttachOption { FeatureId = msg, Quantity = 30 }] });

        missing.ShouldBeInvalid("feature_quantities");
        given.ShouldBe(200);
        Assert.Equal(30m, (await Api.BalanceAsync(customer, msg))!.Granted);
    }
}
