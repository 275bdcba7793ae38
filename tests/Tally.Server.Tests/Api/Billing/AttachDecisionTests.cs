using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Billing;
using static Tally.Server.Tests.Api.Kit;

using Plan = Tally.Core.Domain.Plan;
using PlanItem = Tally.Core.Domain.PlanItem;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>billing.attach's decision called directly with plain values (state, catalog, command, now, ids).</summary>
public sealed class AttachDecisionTests
{
    internal static readonly Plan Pro = new()
    {
        Id = "pro",
        Name = "Pro",
        Items = [new PlanItem { FeatureId = "messages", Included = 100, Reset = new ItemReset(ResetInterval.Month, 1) }],
        CreatedAt = Epoch,
    };

    internal static readonly Catalog Cat = new([Metered("messages")], [Pro]);

    [Fact]
    public void Decide_GrantsThePlansItems_ThenRefusesItTwice()
    {
        var state = Customer("cus_1");
        var u = At();
        var cmd = new Attach.Command(new AttachParams { CustomerId = "cus_1", PlanId = "pro" }, Pro, new Dictionary<string, decimal>());

        var first = Attach.Decide(u.Open(state, Cat), Cat, cmd, u);
        state.Apply(first.Changes!);
        var again = Attach.Decide(u.Open(state, Cat), Cat, cmd, u);

        Assert.Equal(200, first.Result.Status);
        var source = Assert.Single(first.Changes!.UpsertSources);
        Assert.Equal((100m, Now.AddMonths(1)), (source.Balance, source.NextResetAt));
        Assert.Equal((409, "plan_already_attached"), (again.Result.Status, Code(again.Result)));
        Assert.Null(again.Changes);
    }

    [Fact]
    public void Decide_UnknownEntity_IsEntityNotFound()
    {
        var u = At();
        var cmd = new Attach.Command(new AttachParams { CustomerId = "cus_1", PlanId = "pro", EntityId = "seat_9" }, Pro,
            new Dictionary<string, decimal>());

        var d = Attach.Decide(u.Open(Customer("cus_1"), Cat), Cat, cmd, u);

        Assert.Equal((404, "entity_not_found"), (d.Result.Status, Code(d.Result)));
    }
}
