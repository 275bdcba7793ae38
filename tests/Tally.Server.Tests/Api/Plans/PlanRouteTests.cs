using Tally.Contracts;

namespace Tally.Server.Tests.Api.Plans;

/// <summary>plans.* (autumn-api.md §3.3): happy paths and every error code they can produce.</summary>
public sealed class PlanRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task Create_EchoesThePlanWithItsItems()
    {
        var msg = await Api.MeteredFeatureAsync();
        var flag = await Api.BooleanFeatureAsync();
        var id = Id.New("pro");

        var res = await Api.PostAsync("plans.create", $$$"""
            {"plan_id":"{{{id}}}","name":"Pro","group":"","auto_enable":false,"create_in_stripe":true,
             "price":{"amount":20,"interval":"month","interval_count":1},
             "items":[{"feature_id":"{{{msg}}}","included":100,"pooled":false,"reset":{"interval":"month","interval_count":1},
                       "price":{"amount":0.5,"interval":"month","interval_count":1,"billing_units":1,"billing_method":"usage_based","max_purchase":300}},
                      {"feature_id":"{{{flag}}}"}]}
            """);

        var p = res.ShouldBe(200).As(C.Plan);
        Assert.Equal(id, p.Id);
        Assert.Equal("Pro", p.Name);
        Assert.Null(p.Group);
        Assert.Equal(1, p.Version);
        Assert.Equal("sandbox", p.Env);
        Assert.Equal(20m, p.Price!.Amount);
        Assert.Equal("month", p.Price.Interval);
        Assert.Equal(2, p.Items.Count);
        var item = p.Items[0];
        Assert.Equal(msg, item.FeatureId);
        Assert.Equal(100m, item.Included);
        Assert.Equal("month", item.Reset!.Interval);
        Assert.Equal("usage_based", item.Price!.BillingMethod);
        Assert.Equal(300m, item.Price.MaxPurchase);
        Assert.Equal(flag, p.Items[1].FeatureId);
        Assert.Null(p.Items[1].Reset);
    }

    [Fact]
    public async Task Create_Twice_Is400ProductAlreadyExists()
    {
        var id = await Api.PlanAsync();

        var res = await Api.PostAsync("plans.create", $$"""{"plan_id":"{{id}}","name":"again"}""");

        res.ShouldFail(400, "product_already_exists", id);
    }

    [Fact]
    public async Task Create_ItemOfUnknownFeature_Is404FeatureNotFound()
    {
        var res = await Api.PostAsync("plans.create", $$$"""{"plan_id":"{{{Id.New("p")}}}","name":"p","items":[{"feature_id":"ghost_feature","included":1}]}""");

        res.ShouldFail(404, "feature_not_found", "ghost_feature");
    }

    [Fact]
    public async Task Create_UnknownResetInterval_Is400NamingTheField()
    {
        var msg = await Api.MeteredFeatureAsync();

        var res = await Api.PostAsync("plans.create",
            $$$"""{"plan_id":"{{{Id.New("p")}}}","name":"p","items":[{"feature_id":"{{{msg}}}","included":1,"reset":{"interval":"fortnight"}}]}""");

        res.ShouldBeInvalid("items[0].reset.interval");
    }

    [Fact]
    public async Task Create_UnknownPriceInterval_Is400NamingTheField()
    {
        var res = await Api.PostAsync("plans.create", $$$"""{"plan_id":"{{{Id.New("p")}}}","name":"p","price":{"amount":1,"interval":"day"}}""");

        res.ShouldBeInvalid("price.interval");
    }

    [Fact]
    public async Task Create_MissingName_Is400NamingName()
    {
        var res = await Api.PostAsync("plans.create", $$"""{"plan_id":"{{Id.New("p")}}"}""");

        res.ShouldBeInvalid("name");
    }

    [Fact]
    public async Task Get_ReturnsThePlan_UnknownIs404ProductNotFound()
    {
        var id = await Api.PlanAsync();

        var p = await Api.OkAsync("plans.get", new GetPlanParams { PlanId = id }, C.Plan);
        var missing = await Api.PostAsync("plans.get", """{"plan_id":"no_such_plan"}""");
        var missingVersion = await Api.PostAsync("plans.get", $$"""{"plan_id":"{{id}}","version":7}""");

        Assert.Equal(id, p.Id);
        missing.ShouldFail(404, "product_not_found", "no_such_plan");
        missingVersion.ShouldFail(404, "product_not_found");
    }

    [Fact]
    public async Task List_ContainsThePlans_ArchivedOnlyOnRequest()
    {
        var live = await Api.PlanAsync();
        var archived = await Api.PlanAsync();
        await Api.OkAsync("plans.update", new UpdatePlanParams { PlanId = archived, Archived = true }, C.Plan);

        var plain = (await Api.OkAsync("plans.list", new ListPlansParams(), C.ListResponsePlan)).List.Select(p => p.Id).ToList();
        var all = (await Api.OkAsync("plans.list", new ListPlansParams { IncludeArchived = true }, C.ListResponsePlan)).List.Select(p => p.Id).ToList();

        Assert.Contains(live, plain);
        Assert.DoesNotContain(archived, plain);
        Assert.Contains(archived, all);
    }

    [Fact]
    public async Task Update_ChangesFieldsInPlace_UntilACustomerHasIt_ThenMakesAVersion()
    {
        var msg = await Api.MeteredFeatureAsync();
        var id = await Api.PlanAsync(Setup.Item(msg, 10));

        var renamed = await Api.OkAsync("plans.update", new UpdatePlanParams { PlanId = id, Name = "Renamed", Items = [Setup.Item(msg, 20)] }, C.Plan);
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, id);
        var bumped = await Api.OkAsync("plans.update", new UpdatePlanParams { PlanId = id, Items = [Setup.Item(msg, 30)] }, C.Plan);
        var balance = await Api.BalanceAsync(customer, msg);

        Assert.Equal(1, renamed.Version);
        Assert.Equal("Renamed", renamed.Name);
        Assert.Equal(20m, renamed.Items[0].Included);
        Assert.Equal(2, bumped.Version);
        Assert.Equal(30m, bumped.Items[0].Included);
        Assert.Equal(20m, balance!.Granted);
    }

    [Fact]
    public async Task Update_UnknownIs404_RenameIs400()
    {
        var id = await Api.PlanAsync();

        var missing = await Api.PostAsync("plans.update", """{"plan_id":"no_such_plan","name":"x"}""");
        var rename = await Api.PostAsync("plans.update", $$"""{"plan_id":"{{id}}","new_plan_id":"other"}""");

        missing.ShouldFail(404, "product_not_found");
        rename.ShouldFail(400, "invalid_request", "new_plan_id");
    }

    [Fact]
    public async Task Delete_RemovesAnUnusedPlan_UnknownIs404()
    {
        var unused = await Api.PlanAsync();

        var deleted = await Api.PostAsync("plans.delete", new DeletePlanParams { PlanId = unused });
        var gone = await Api.PostAsync("plans.get", new GetPlanParams { PlanId = unused });
        var again = await Api.PostAsync("plans.delete", new DeletePlanParams { PlanId = unused });

        Assert.True(deleted.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        gone.ShouldFail(404, "product_not_found");
        again.ShouldFail(404, "product_not_found");
    }

    [Fact]
    public async Task Delete_PlanACustomerHas_Is400()
    {
        var (customer, _, attached) = await Api.CustomerWithBalanceAsync(5);

        var refused = await Api.PostAsync("plans.delete", new DeletePlanParams { PlanId = attached });

        refused.ShouldFail(400, "invalid_request", "attached");
        await Api.OkAsync("plans.get", new GetPlanParams { PlanId = attached }, C.Plan);
        Assert.Contains((await Api.GetCustomerAsync(customer)).Subscriptions, s => s.PlanId == attached);
    }
}
