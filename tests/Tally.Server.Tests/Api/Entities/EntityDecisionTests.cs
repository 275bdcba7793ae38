using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Entities;
using static Tally.Server.Tests.Api.Kit;

namespace Tally.Server.Tests.Api.Entities;

/// <summary>The entities.* decisions called directly with plain values (state, catalog, command, now, ids).</summary>
public sealed class EntityDecisionTests
{
    private static readonly Catalog Cat = Catalog(Continuous("seats"), Metered("messages"));

    [Fact]
    public void CreateEntityDecide_TakesASeat_AndCreatesAMissingCustomer()
    {
        var body = new CreateEntityParams { CustomerId = "cus_1", EntityId = "seat_1", FeatureId = "seats" };
        var seats = Cat.Feature("seats")!;

        var existing = CreateEntity.Decide(Customer("cus_1", null, Grant("seats", 3)), Cat, new CreateEntity.Command(body, seats), At());
        var created = CreateEntity.Decide(null, Cat, new CreateEntity.Command(body, seats), At());

        Assert.Equal(200, existing.Result.Status);
        Assert.Equal("seat_1", Assert.Single(existing.Changes!.UpsertEntities).Id);
        Assert.Equal(2m, Assert.Single(existing.Changes.UpsertSources).Balance);
        Assert.True(created.Changes!.CustomerIsNew);
        Assert.Equal("seat_1", Assert.Single(created.Changes.UpsertEntities).Id);
    }

    [Fact]
    public void CreateEntityDecide_ExistingEntity_IsAConflict()
    {
        var state = Customer("cus_1", [Entity("seat_1", "seats")]);
        var body = new CreateEntityParams { CustomerId = "cus_1", EntityId = "seat_1", FeatureId = "seats" };

        var d = CreateEntity.Decide(state, Cat, new CreateEntity.Command(body, Cat.Feature("seats")!), At());

        Assert.Equal((409, "entity_already_exists"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
    }

    [Fact]
    public void GetEntityDecide_KnownOrNotFound()
    {
        var u = At();
        var state = Customer("cus_1", [Entity("seat_1", "seats")]);

        var known = GetEntity.Decide(u.Open(state, Cat), Cat, "seat_1", u);
        var unknown = GetEntity.Decide(u.Open(state, Cat), Cat, "seat_2", u);

        Assert.Equal("seat_1", Json(known.Result).GetProperty("id").GetString());
        Assert.Null(known.Response);
        Assert.Equal((404, "entity_not_found"), (unknown.Result.Status, Code(unknown.Result)));
    }

    [Fact]
    public void ListEntitiesDecide_ListsOnlyTheEntitiesThatStillExist()
    {
        var state = Customer("cus_1", [Entity("seat_1", "seats"), Entity("seat_2", "seats")]);

        var d = ListEntities.Decide(state, Cat, ["seat_2", "seat_gone"], At());
        var gone = ListEntities.Decide(null, Cat, ["seat_1"], At());

        Assert.Equal("seat_2", Assert.Single(d.Result).Id);
        Assert.Empty(gone.Result);
    }

    [Fact]
    public void UpdateEntityDecide_ReplacesBillingControls()
    {
        var u = At();
        var state = Customer("cus_1", [Entity("seat_1", "seats")]);
        var controls = JsonDocument.Parse("""{"spend_limits":[]}""").RootElement;
        var body = new UpdateEntityParams { EntityId = "seat_1", BillingControls = controls };

        var d = UpdateEntity.Decide(u.Open(state, Cat), Cat, body, u);

        Assert.Equal("""{"spend_limits":[]}""", Assert.Single(d.Changes!.UpsertEntities).BillingControlsJson);
    }

    [Fact]
    public void DeleteEntityDecide_DeletesOrAnswersNotFound()
    {
        var u = At();
        var state = Customer("cus_1", [Entity("seat_1", "seats")]);

        var deleted = DeleteEntity.Decide(u.Open(state, Cat), Cat, "seat_1", u);
        var missing = DeleteEntity.Decide(u.Open(state, Cat), Cat, "seat_2", u);

        Assert.Equal("seat_1", Assert.Single(deleted.Changes!.DeleteEntities));
        Assert.Equal((404, "entity_not_found"), (missing.Result.Status, Code(missing.Result)));
    }
}
