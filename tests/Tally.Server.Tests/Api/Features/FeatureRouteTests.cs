using Tally.Contracts;

namespace Tally.Server.Tests.Api.Features;

/// <summary>features.* (autumn-api.md §3.2): happy paths and every error code they can produce.</summary>
public sealed class FeatureRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task Create_Metered_EchoesTheFeature()
    {
        var id = Id.New("msg");

        var res = await Api.PostAsync("features.create",
            $$$"""{"feature_id":"{{{id}}}","name":"Messages","type":"metered","consumable":true,"event_names":["chat"],"display":{"singular":"message","plural":"messages"}}""");

        var f = res.ShouldBe(200).As(C.Feature);
        Assert.Equal(id, f.Id);
        Assert.Equal("Messages", f.Name);
        Assert.Equal("metered", f.Type);
        Assert.True(f.Consumable);
        Assert.False(f.Archived);
        Assert.Equal(["chat"], f.EventNames!);
        Assert.Equal("message", f.Display!.Singular);
        Assert.Equal("messages", f.Display.Plural);
    }

    [Fact]
    public async Task Create_Twice_Is409DuplicateFeatureId()
    {
        var id = await Api.MeteredFeatureAsync();

        var res = await Api.PostAsync("features.create", $$"""{"feature_id":"{{id}}","name":"again","type":"boolean"}""");

        res.ShouldFail(409, "duplicate_feature_id", id);
    }

    [Fact]
    public async Task Create_MeteredWithoutConsumable_Is400NamingConsumable()
    {
        var res = await Api.PostAsync("features.create", $$"""{"feature_id":"{{Id.New("f")}}","name":"x","type":"metered"}""");

        res.ShouldBeInvalid("consumable");
    }

    [Fact]
    public async Task Create_CreditSystemOverUnknownFeature_Is404FeatureNotFound()
    {
        var res = await Api.PostAsync("features.create",
            $$$"""{"feature_id":"{{{Id.New("cr")}}}","name":"c","type":"credit_system","credit_schema":[{"metered_feature_id":"no_such_feature","credit_cost":2}]}""");

        res.ShouldFail(404, "feature_not_found", "no_such_feature");
    }

    [Fact]
    public async Task Create_CreditSystemOverContinuousFeature_Is400NamingTheSchemaEntry()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);

        var res = await Api.PostAsync("features.create",
            $$"""{"feature_id":"{{Id.New("cr")}}","name":"c","type":"credit_system","credit_schema":[{"metered_feature_id":"{{seats}}","credit_cost":2}]}""");

        res.ShouldBeInvalid("credit_schema[0].metered_feature_id");
    }

    [Fact]
    public async Task Create_TieredCreditSchema_Is400()
    {
        var msg = await Api.MeteredFeatureAsync();

        var res = await Api.PostAsync("features.create",
            $$"""{"feature_id":"{{Id.New("cr")}}","name":"c","type":"credit_system","credit_schema":[{"metered_feature_id":"{{msg}}","tier_behavior":"graduated","tiers":[{"to":"inf","credit_cost":1}]}]}""");

        res.ShouldBeInvalid("credit_schema[0]");
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("dot.ted")]
    [InlineData("")]
    public async Task Create_BadId_Is400NamingFeatureId(string id)
    {
        var res = await Api.PostAsync("features.create", $$"""{"feature_id":"{{id}}","name":"x","type":"boolean"}""");

        res.ShouldBeInvalid("feature_id");
    }

    [Fact]
    public async Task Get_ReturnsTheFeature_AndUnknownIs404()
    {
        var id = await Api.MeteredFeatureAsync(consumable: false);

        var f = await Api.OkAsync("features.get", new GetFeatureParams { FeatureId = id }, C.Feature);
        var missing = await Api.PostAsync("features.get", """{"feature_id":"nope_not_here"}""");

        Assert.Equal(id, f.Id);
        Assert.False(f.Consumable);
        missing.ShouldFail(404, "feature_not_found", "nope_not_here");
    }

    [Fact]
    public async Task List_ContainsCreatedFeatures_WithEmptyBody()
    {
        var a = await Api.MeteredFeatureAsync();
        var b = await Api.BooleanFeatureAsync();

        var res = await Api.PostAsync("features.list");

        var ids = res.ShouldBe(200).As(C.ListResponseFeature).List.Select(f => f.Id).ToList();
        Assert.Contains(a, ids);
        Assert.Contains(b, ids);
        Assert.True(ids.IndexOf(a) < ids.IndexOf(b), "features.list is in creation order");
    }

    [Fact]
    public async Task Update_ChangesNameAndArchives_UnknownIs404_RenameIs400()
    {
        var id = await Api.MeteredFeatureAsync();

        var updated = await Api.OkAsync("features.update", new UpdateFeatureParams { FeatureId = id, Name = "Renamed", Archived = true }, C.Feature);
        var fetched = await Api.OkAsync("features.get", new GetFeatureParams { FeatureId = id }, C.Feature);
        var missing = await Api.PostAsync("features.update", """{"feature_id":"nope_not_here","name":"x"}""");
        var rename = await Api.PostAsync("features.update", $$"""{"feature_id":"{{id}}","new_feature_id":"{{id}}_2"}""");

        Assert.Equal("Renamed", updated.Name);
        Assert.True(updated.Archived);
        Assert.Equal("Renamed", fetched.Name);
        Assert.True(fetched.Archived);
        missing.ShouldFail(404, "feature_not_found");
        rename.ShouldFail(400, "invalid_request", "new_feature_id");
    }

    [Fact]
    public async Task Update_UnknownType_Is400NamingType()
    {
        var id = await Api.MeteredFeatureAsync();

        var res = await Api.PostAsync("features.update", $$"""{"feature_id":"{{id}}","type":"gauge"}""");

        res.ShouldBeInvalid("type");
    }

    [Fact]
    public async Task Update_TypeOrConsumableOfAFeatureAPlanUses_Is400_AndChangesNothing()
    {
        var used = await Api.MeteredFeatureAsync();
        await Api.PlanAsync(Setup.Item(used, 10));

        var consumable = await Api.PostAsync("features.update", $$"""{"feature_id":"{{used}}","consumable":false}""");
        var type = await Api.PostAsync("features.update", $$"""{"feature_id":"{{used}}","type":"boolean"}""");
        var name = await Api.PostAsync("features.update", $$"""{"feature_id":"{{used}}","name":"Still fine","consumable":true}""");

        consumable.ShouldFail(400, "invalid_request", "consumable");
        type.ShouldFail(400, "invalid_request", "type");
        Assert.Equal("Still fine", name.ShouldBe(200).As(C.Feature).Name);
        var f = await Api.OkAsync("features.get", new GetFeatureParams { FeatureId = used }, C.Feature);
        Assert.Equal("metered", f.Type);
        Assert.True(f.Consumable);
    }

    [Fact]
    public async Task Update_TypeOrConsumableOfACreditSystemMember_Is400()
    {
        var member = await Api.MeteredFeatureAsync();
        await Api.CreditSystemAsync((member, 3));

        var consumable = await Api.PostAsync("features.update", $$"""{"feature_id":"{{member}}","consumable":false}""");
        var type = await Api.PostAsync("features.update", $$"""{"feature_id":"{{member}}","type":"boolean"}""");

        consumable.ShouldFail(400, "invalid_request", "consumable");
        type.ShouldFail(400, "invalid_request", "type");
        Assert.True((await Api.OkAsync("features.get", new GetFeatureParams { FeatureId = member }, C.Feature)).Consumable);
    }

    [Fact]
    public async Task Update_ConsumableOfAnUnusedFeature_IsAllowed()
    {
        var free = await Api.MeteredFeatureAsync();

        var res = await Api.PostAsync("features.update", $$"""{"feature_id":"{{free}}","consumable":false}""");

        Assert.False(res.ShouldBe(200).As(C.Feature).Consumable);
    }

    [Fact]
    public async Task Delete_RemovesTheFeature_UnknownIs404_UsedByPlanIs400()
    {
        var unused = await Api.MeteredFeatureAsync();
        var used = await Api.MeteredFeatureAsync();
        await Api.PlanAsync(Setup.Item(used, 10));

        var deleted = await Api.PostAsync("features.delete", new DeleteFeatureParams { FeatureId = unused });
        var after = await Api.PostAsync("features.get", new GetFeatureParams { FeatureId = unused });
        var again = await Api.PostAsync("features.delete", new DeleteFeatureParams { FeatureId = unused });
        var refused = await Api.PostAsync("features.delete", new DeleteFeatureParams { FeatureId = used });

        Assert.True(deleted.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        after.ShouldFail(404, "feature_not_found");
        again.ShouldFail(404, "feature_not_found");
        refused.ShouldFail(400, "invalid_request", "used by a plan");
        await Api.OkAsync("features.get", new GetFeatureParams { FeatureId = used }, C.Feature);
    }

    [Fact]
    public async Task Delete_IsRefusedWhileACustomerHoldsAGrant_SoARecreatedFeatureInheritsNothing()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();
        (await Api.PostAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = 10 })).ShouldBe(200);

        var refused = await Api.PostAsync("features.delete", new DeleteFeatureParams { FeatureId = feature });

        refused.ShouldFail(400, "invalid_request", "held by customers");
        await Api.OkAsync("features.get", new GetFeatureParams { FeatureId = feature }, C.Feature);
        Assert.Equal(10m, (await Api.BalanceAsync(customer, feature))!.Remaining);

        // Once the grant is gone the feature can go, and a feature recreated under its id starts empty.
        (await Api.PostAsync("balances.delete", new DeleteBalanceParams { CustomerId = customer, FeatureId = feature })).ShouldBe(200);
        (await Api.PostAsync("features.delete", new DeleteFeatureParams { FeatureId = feature })).ShouldBe(200);
        await Api.BooleanFeatureAsync(feature);
        var check = (await Api.CheckAsync(customer, feature)).ShouldBe(200);
        Assert.False(check.Json.GetProperty("allowed").GetBoolean());
    }
}
