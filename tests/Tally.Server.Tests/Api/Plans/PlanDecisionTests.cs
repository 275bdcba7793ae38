using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Plans;
using static Tally.Server.Tests.Api.Kit;

using Plan = Tally.Core.Domain.Plan;
using PlanItem = Tally.Core.Domain.PlanItem;

namespace Tally.Server.Tests.Api.Plans;

/// <summary>The plans.* decisions called directly with a catalog and plain values.</summary>
public sealed class PlanDecisionTests
{
    private static readonly Plan Pro = new()
    {
        Id = "pro",
        Name = "Pro",
        Items = [new PlanItem { FeatureId = "messages", Included = 5 }],
        CreatedAt = Epoch,
    };

    private static readonly Catalog Cat = new([Metered("messages")], [Pro]);

    private static List<Contracts.PlanItem> Items(decimal included) => [new() { FeatureId = "messages", Included = included }];

    [Fact]
    public void CreatePlanDecide_NewPlan_IsAdded_UnknownItemFeatureIsNotFound()
    {
        var created = CreatePlan.Decide(Cat, new CreatePlan.Command(new CreatePlanParams { PlanId = "team", Name = "Team", Items = Items(9) }, null, Now), Tenant);
        var unknown = CreatePlan.Decide(Cat, new CreatePlan.Command(new CreatePlanParams
        {
            PlanId = "team",
            Name = "Team",
            Items = [new() { FeatureId = "nope" }]
        }, null, Now), Tenant);
        var taken = CreatePlan.Decide(Cat, new CreatePlan.Command(new CreatePlanParams { PlanId = "pro", Name = "Pro" }, null, Now), Tenant);

        var plan = Assert.Single(created.Changes!.UpsertPlans);
        Assert.Equal(("team", Now, 9m), (plan.Id, plan.CreatedAt, Assert.Single(plan.Items).Included));
        Assert.Equal((404, "feature_not_found"), (unknown.Result.Status, Code(unknown.Result)));
        Assert.Equal(400, taken.Result.Status);
        Assert.Null(taken.Changes);
    }

    [Fact]
    public void UpdatePlanDecide_ItemsOfAnAttachedVersion_MakeANewVersion_ElseInPlace()
    {
        var body = new UpdatePlanParams { PlanId = "pro", Items = Items(50) };

        var attached = UpdatePlan.Decide(Cat, new UpdatePlan.Command(body, null, 1, true, Now), Tenant);
        var unattached = UpdatePlan.Decide(Cat, new UpdatePlan.Command(body, null, 1, false, Now), Tenant);

        Assert.Equal((2, Now), (Assert.Single(attached.Changes!.UpsertPlans).Version, attached.Changes.UpsertPlans[0].CreatedAt));
        Assert.Equal((1, Epoch), (Assert.Single(unattached.Changes!.UpsertPlans).Version, unattached.Changes.UpsertPlans[0].CreatedAt));
        Assert.Equal(50m, Assert.Single(unattached.Changes.UpsertPlans[0].Items).Included);
    }

    [Fact]
    public void DeletePlanDecide_DeletesTheNamedVersion()
    {
        var d = DeletePlan.Decide(Cat, ("pro", 1), Tenant);

        Assert.Equal(("pro", (int?)1), Assert.Single(d.Changes!.DeletePlans));
        Assert.Equal(d.Result.Body, d.Response);
    }

    [Fact]
    public void GetAndListPlanDecide_ReadTheCatalog()
    {
        Assert.Equal("pro", Json(GetPlan.Decide(Cat, new GetPlanParams { PlanId = "pro" }, Tenant)).GetProperty("id").GetString());
        Assert.Equal("product_not_found", Code(GetPlan.Decide(Cat, new GetPlanParams { PlanId = "nope" }, Tenant)));
        Assert.Equal(["pro"], Json(ListPlans.Decide(Cat, new ListPlansParams(), Tenant)).GetProperty("list").EnumerateArray()
            .Select(p => p.GetProperty("id").GetString()));
    }
}
