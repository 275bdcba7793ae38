using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Features;
using static Tally.Server.Tests.Api.Kit;

using Plan = Tally.Core.Domain.Plan;
using PlanItem = Tally.Core.Domain.PlanItem;

namespace Tally.Server.Tests.Api.Features;

/// <summary>The features.* decisions called directly with a catalog and plain values.</summary>
public sealed class FeatureDecisionTests
{
    private static readonly Catalog Cat = new([Metered("messages"), Metered("free_msgs")],
        [new Plan { Id = "pro", Name = "Pro", Items = [new PlanItem { FeatureId = "messages", Included = 5 }], CreatedAt = Epoch }]);

    [Fact]
    public void CreateFeatureDecide_NewId_IsAdded_TakenIdIsAConflict()
    {
        var created = CreateFeature.Decide(Cat, new CreateFeature.Command(Metered("api_calls"), true), Tenant);
        var taken = CreateFeature.Decide(Cat, new CreateFeature.Command(Metered("messages"), true), Tenant);

        Assert.Equal("api_calls", Assert.Single(created.Changes!.UpsertFeatures).Id);
        Assert.Equal(created.Result.Body, created.Response);
        Assert.Equal((409, "duplicate_feature_id"), (taken.Result.Status, Code(taken.Result)));
        Assert.Null(taken.Changes);
    }

    [Fact]
    public void UpdateFeatureDecide_TypeOfAFeatureAPlanUses_CannotChange()
    {
        var rename = UpdateFeature.Decide(Cat, new UpdateFeature.Command(new UpdateFeatureParams { FeatureId = "messages", Name = "Msgs" }, null, null), Tenant);
        var retype = UpdateFeature.Decide(Cat, new UpdateFeature.Command(new UpdateFeatureParams { FeatureId = "messages" }, FeatureType.Boolean, null), Tenant);
        var missing = UpdateFeature.Decide(Cat, new UpdateFeature.Command(new UpdateFeatureParams { FeatureId = "nope" }, null, null), Tenant);

        Assert.Equal("Msgs", Assert.Single(rename.Changes!.UpsertFeatures).Name);
        Assert.Equal((400, "invalid_request"), (retype.Result.Status, Code(retype.Result)));
        Assert.Null(retype.Changes);
        Assert.Equal((404, "feature_not_found"), (missing.Result.Status, Code(missing.Result)));
    }

    [Fact]
    public void DeleteFeatureDecide_UnusedGoes_UsedByAPlanStays()
    {
        var unused = DeleteFeature.Decide(Cat, "free_msgs", Tenant);
        var used = DeleteFeature.Decide(Cat, "messages", Tenant);

        Assert.Equal("free_msgs", Assert.Single(unused.Changes!.DeleteFeatures));
        Assert.Equal((400, "invalid_request"), (used.Result.Status, Code(used.Result)));
        Assert.Null(used.Changes);
    }

    [Fact]
    public void GetAndListFeatureDecide_ReadTheCatalog()
    {
        Assert.Equal("messages", Json(GetFeature.Decide(Cat, "messages", Tenant)).GetProperty("id").GetString());
        Assert.Equal("feature_not_found", Code(GetFeature.Decide(Cat, "nope", Tenant)));
        Assert.Equal(["free_msgs", "messages"],
            Json(ListFeatures.Decide(Cat)).GetProperty("list").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
    }
}
