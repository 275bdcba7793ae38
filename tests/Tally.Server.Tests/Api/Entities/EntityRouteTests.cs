using Tally.Contracts;

namespace Tally.Server.Tests.Api.Entities;

/// <summary>entities.* (autumn-api.md §3.4, §5.8): happy paths and every error code they can produce.</summary>
public sealed class EntityRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private async Task<(string Customer, string Seats)> CustomerWithSeatsAsync(decimal seats = 5)
    {
        var feature = await Api.MeteredFeatureAsync(Id.New("seats"), consumable: false);
        var plan = await Api.PlanAsync(Setup.Item(feature, seats, interval: null));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);
        return (customer, feature);
    }

    [Fact]
    public async Task Create_ReturnsTheEntity()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();

        var res = await Api.PostAsync("entities.create", $$"""{"customer_id":"{{customer}}","entity_id":"u1","feature_id":"{{seats}}","name":"Ada"}""");

        var e = res.ShouldBe(200).As(C.EntityResponse);
        Assert.Equal("u1", e.Id);
        Assert.Equal("Ada", e.Name);
        Assert.Equal(customer, e.CustomerId);
        Assert.Equal(seats, e.FeatureId);
        Assert.Equal("sandbox", e.Env);
    }

    [Fact]
    public async Task Create_OnUnknownCustomer_CreatesTheCustomer()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var customer = Id.New("cus");

        var res = await Api.PostAsync("entities.create",
            $$$"""{"customer_id":"{{{customer}}}","entity_id":"u1","feature_id":"{{{seats}}}","customer_data":{"name":"Auto","email":"a@example.com"}}""");

        res.ShouldBe(200);
        var c = await Api.GetCustomerAsync(customer);
        Assert.Equal("Auto", c.Name);
        Assert.Equal("a@example.com", c.Email);
    }

    [Fact]
    public async Task Create_Twice_Is409EntityAlreadyExists()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();
        var body = $$"""{"customer_id":"{{customer}}","entity_id":"u1","feature_id":"{{seats}}"}""";
        (await Api.PostAsync("entities.create", body)).ShouldBe(200);

        var res = await Api.PostAsync("entities.create", body);

        res.ShouldFail(409, "entity_already_exists", "u1");
        Assert.Equal(1m, (await Api.BalanceAsync(customer, seats))!.Usage);
    }

    [Fact]
    public async Task Create_UnknownFeature_Is404_ConsumableFeatureIs400()
    {
        var customer = await Api.CustomerAsync();
        var messages = await Api.MeteredFeatureAsync();

        var unknown = await Api.PostAsync("entities.create", $$"""{"customer_id":"{{customer}}","entity_id":"u1","feature_id":"no_such_feature"}""");
        var consumable = await Api.PostAsync("entities.create", $$"""{"customer_id":"{{customer}}","entity_id":"u1","feature_id":"{{messages}}"}""");

        unknown.ShouldFail(404, "feature_not_found", "no_such_feature");
        consumable.ShouldBeInvalid("feature_id");
    }

    [Fact]
    public async Task Create_MissingEntityId_Is400NamingIt()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();

        var res = await Api.PostAsync("entities.create", $$"""{"customer_id":"{{customer}}","feature_id":"{{seats}}"}""");

        res.ShouldBeInvalid("entity_id");
    }

    [Fact]
    public async Task Create_PricedSeatsBeyondMaxPurchase_Is400FeatureLimitReached()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var plan = Id.New("team");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "Team",
            Items = [new PlanItem
            {
                FeatureId = seats,
                Included = 1,
                Price = new PlanItemPrice { Amount = 10, Interval = "month", BillingMethod = "usage_based", MaxPurchase = 1 },
            }],
        }, C.Plan);
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "a", FeatureId = seats }, C.EntityResponse);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "b", FeatureId = seats }, C.EntityResponse);

        var res = await Api.PostAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "c", FeatureId = seats });

        res.ShouldFail(400, "feature_limit_reached", seats);
        (await Api.PostAsync("entities.get", new GetEntityParams { CustomerId = customer, EntityId = "c" })).ShouldFail(404, "entity_not_found");
        Assert.Equal(2m, (await Api.BalanceAsync(customer, seats))!.Usage);
    }

    [Fact]
    public async Task Get_WithOrWithoutCustomerId_UnknownIs404()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();
        var entity = Id.New("ent");
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = entity, FeatureId = seats }, C.EntityResponse);

        var withCustomer = await Api.OkAsync("entities.get", new GetEntityParams { EntityId = entity, CustomerId = customer }, C.EntityResponse);
        var bare = await Api.OkAsync("entities.get", new GetEntityParams { EntityId = entity }, C.EntityResponse);
        var missing = await Api.PostAsync("entities.get", $$"""{"entity_id":"nobody_e","customer_id":"{{customer}}"}""");
        var missingBare = await Api.PostAsync("entities.get", """{"entity_id":"nobody_e"}""");
        var missingCustomer = await Api.PostAsync("entities.get", $$"""{"entity_id":"{{entity}}","customer_id":"nobody_c"}""");

        Assert.Equal(entity, withCustomer.Id);
        Assert.Equal(customer, bare.CustomerId);
        missing.ShouldFail(404, "entity_not_found", "nobody_e");
        missingBare.ShouldFail(404, "entity_not_found", "nobody_e");
        missingCustomer.ShouldFail(404, "customer_not_found", "nobody_c");
    }

    [Fact]
    public async Task List_OneCustomersEntitiesInCreationOrder_AndBadCursorIs400()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();
        foreach (var id in new[] { "e1", "e2", "e3" })
        {
            await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = id, FeatureId = seats }, C.EntityResponse);
        }

        var first = await Api.OkAsync("entities.list", new ListEntitiesParams { CustomerId = customer, Limit = 2 }, C.CursorListResponseEntityResponse);
        var rest = await Api.OkAsync("entities.list", new ListEntitiesParams { CustomerId = customer, StartCursor = first.NextCursor }, C.CursorListResponseEntityResponse);
        var bad = await Api.PostAsync("entities.list", """{"start_cursor":"Y3VzOjE"}""");

        Assert.Equal(["e1", "e2"], first.List.Select(e => e.Id!));
        Assert.Equal(["e3"], rest.List.Select(e => e.Id!));
        Assert.Null(rest.NextCursor);
        bad.ShouldFail(400, "invalid_cursor", "start_cursor");
    }

    [Fact]
    public async Task Update_SetsBillingControls_UnknownIs404()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats }, C.EntityResponse);

        var res = await Api.PostAsync("entities.update",
            $$$"""{"customer_id":"{{{customer}}}","entity_id":"u1","billing_controls":{"spend_limits":[]}}""");
        var missing = await Api.PostAsync("entities.update", $$$"""{"customer_id":"{{{customer}}}","entity_id":"nobody_e","billing_controls":{}}""");

        var e = res.ShouldBe(200).As(C.EntityResponse);
        Assert.Equal(JsonValueKind.Array, e.BillingControls!["spend_limits"].ValueKind);
        missing.ShouldFail(404, "entity_not_found", "nobody_e");
    }

    [Fact]
    public async Task Delete_RemovesTheEntity_AndGivesItsSeatBack_UnknownIs404()
    {
        var (customer, seats) = await CustomerWithSeatsAsync();
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats }, C.EntityResponse);
        Assert.Equal(1m, (await Api.BalanceAsync(customer, seats))!.Usage);

        var deleted = await Api.PostAsync("entities.delete", new DeleteEntityParams { CustomerId = customer, EntityId = "u1" });
        var gone = await Api.PostAsync("entities.get", new GetEntityParams { CustomerId = customer, EntityId = "u1" });
        var again = await Api.PostAsync("entities.delete", new DeleteEntityParams { CustomerId = customer, EntityId = "u1" });
        var balance = await Api.BalanceAsync(customer, seats);

        Assert.True(deleted.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        gone.ShouldFail(404, "entity_not_found");
        again.ShouldFail(404, "entity_not_found");
        Assert.Equal(0m, balance!.Usage);
        Assert.Equal(5m, balance.Remaining);
    }
}
