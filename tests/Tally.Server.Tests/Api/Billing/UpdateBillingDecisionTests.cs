using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Api;
using Tally.Server.Api.Billing;
using static Tally.Server.Tests.Api.Kit;

using Plan = Tally.Core.Domain.Plan;
using PlanItem = Tally.Core.Domain.PlanItem;
using PlanPrice = Tally.Core.Domain.PlanPrice;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>billing.update's and attach's plan-lifecycle decisions called directly with plain values.</summary>
public sealed class UpdateBillingDecisionTests
{
    private static readonly Plan Pro = new()
    {
        Id = "pro",
        Name = "Pro",
        Group = "main",
        Price = new PlanPrice(20, ResetInterval.Month, 1),
        Items =
        [
            new PlanItem { FeatureId = "messages", Included = 100, Reset = new ItemReset(ResetInterval.Month, 1) },
            new PlanItem
            {
                FeatureId = "seats",
                Included = 100,
                Price = new ItemPrice { Amount = 1, Interval = ResetInterval.Month, BillingMethod = BillingMethod.Prepaid, BillingUnits = 50 },
            },
        ],
        CreatedAt = Epoch,
    };

    private static readonly Plan Free = new()
    {
        Id = "free",
        Name = "Free",
        Group = "main",
        AutoEnable = true,
        Items = [new PlanItem { FeatureId = "messages", Included = 5, Reset = new ItemReset(ResetInterval.Month, 1) }],
        CreatedAt = Epoch,
    };

    private static readonly Catalog Cat = new([Metered("messages"), Continuous("seats")], [Pro, Free]);

    private static CustomerState OnPro(UnitContext u, decimal seats = 300)
    {
        var state = Customer("cus_1");
        var cmd = new Attach.Command(new AttachParams { CustomerId = "cus_1", PlanId = "pro" }, Pro,
            new Dictionary<string, decimal> { ["seats"] = seats });
        state.Apply(Attach.Decide(u.Open(state, Cat), Cat, cmd, u).Changes!);
        return state;
    }

    private static UpdateBilling.Command Update(string? cancel = null, Dictionary<string, decimal>? quantities = null, string? planId = "pro") =>
        new(new UpdateBillingParams { CustomerId = "cus_1", PlanId = planId, CancelAction = cancel },
            cancel switch
            {
                "cancel_immediately" => CancelAction.CancelImmediately,
                "cancel_end_of_cycle" => CancelAction.CancelEndOfCycle,
                "uncancel" => CancelAction.Uncancel,
                _ => null,
            },
            quantities ?? [], true, null);

    [Fact]
    public void Attach_PrepaidQuantity_IsTheTotal_RoundedUpToWholePacks()
    {
        var u = At();
        var state = OnPro(u, seats: 320);

        var seats = state.Sources.Single(s => s.FeatureId == "seats");

        // 320 total with 100 included: 220 bought, rounded up to packs of 50 → 250; granted 350, not 420.
        Assert.Equal((100m, 250m, 350m), (seats.IncludedGrant, seats.PrepaidGrant, seats.Balance));
    }

    [Fact]
    public void Decide_CancelEndOfCycle_KeepsBalances_SchedulesTheDefault_AndEndsAtTheCycle()
    {
        var u = At();
        var state = OnPro(u);

        var d = UpdateBilling.Decide(u.Open(state, Cat), Cat, Update("cancel_end_of_cycle"), u);
        state.Apply(d.Changes!);

        Assert.Equal(200, d.Result.Status);
        var pro = state.Plans.Single(p => p.PlanId == "pro");
        Assert.Equal((Now, Now.AddMonths(1)), (pro.CanceledAt, pro.EndsAt));
        var free = state.Plans.Single(p => p.PlanId == "free");
        Assert.Equal((AttachmentStatus.Scheduled, Now.AddMonths(1)), (free.Status, free.StartedAt));
        Assert.Equal(100m, state.Sources.Single(s => s.FeatureId == "messages").Balance);
        var note = Assert.IsType<PlansChanged>(Assert.Single(d.Changes!.Notifications));
        Assert.Equal(["pro:updated", "free:scheduled"], note.Changes.Select(c => c.PlanId + ":" + c.Action));

        // At the end of the cycle the unit opens, settles: pro ends, the default starts.
        var later = At(Now.AddMonths(1).AddSeconds(1));
        var w = later.Open(state, Cat);
        var settled = w.ToChanges();
        state.Apply(settled);
        Assert.Equal(["free"], state.Plans.Select(p => p.PlanId));
        Assert.Equal(AttachmentStatus.Active, state.Plans.Single().Status);
        Assert.Equal(5m, state.Sources.Single().Balance);
        var expired = Assert.IsType<PlansChanged>(Assert.Single(settled.Notifications));
        Assert.Equal(["pro:expired", "free:activated"], expired.Changes.Select(c => c.PlanId + ":" + c.Action));
    }

    [Fact]
    public void Decide_Uncancel_ClearsTheEnd_AndDropsTheScheduledDefault()
    {
        var u = At();
        var state = OnPro(u);
        state.Apply(UpdateBilling.Decide(u.Open(state, Cat), Cat, Update("cancel_end_of_cycle"), u).Changes!);

        var d = UpdateBilling.Decide(u.Open(state, Cat), Cat, Update("uncancel"), u);
        state.Apply(d.Changes!);

        var pro = Assert.Single(state.Plans);
        Assert.Equal(("pro", null, null), (pro.PlanId, pro.CanceledAt, pro.EndsAt));
        Assert.Null(pro.DueAt());
    }

    [Fact]
    public void Decide_CancelImmediately_DefaultTakesOverNow()
    {
        var u = At();
        var state = OnPro(u);

        var d = UpdateBilling.Decide(u.Open(state, Cat), Cat, Update("cancel_immediately"), u);
        state.Apply(d.Changes!);

        var free = Assert.Single(state.Plans);
        Assert.Equal(("free", AttachmentStatus.Active, Now), (free.PlanId, free.Status, free.StartedAt));
        Assert.Equal(5m, Assert.Single(state.Sources).Balance);
    }

    [Fact]
    public void Decide_CancelEndOfCycleOfAFreePlan_Is400_AndChangesNothing()
    {
        var u = At();
        var state = Customer("cus_1");
        state.Apply(Attach.Decide(u.Open(state, Cat), Cat,
            new Attach.Command(new AttachParams { CustomerId = "cus_1", PlanId = "free" }, Free, new Dictionary<string, decimal>()), u).Changes!);

        var d = UpdateBilling.Decide(u.Open(state, Cat), Cat, Update("cancel_end_of_cycle", planId: "free"), u);

        Assert.Equal((400, "invalid_request"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
    }

    [Fact]
    public void Decide_NewPrepaidQuantity_MovesTheGrant_AndKeepsUsage()
    {
        var u = At();
        var state = OnPro(u, seats: 300);
        var seats = state.Sources.Single(s => s.FeatureId == "seats");
        var used = new CustomerChanges();
        used.UpsertSources.Add(seats with { Balance = seats.Balance - 40 });
        state.Apply(used);

        var d = UpdateBilling.Decide(u.Open(state, Cat), Cat, Update(quantities: new() { ["seats"] = 500 }), u);
        state.Apply(d.Changes!);

        var after = state.Sources.Single(s => s.FeatureId == "seats");
        Assert.Equal((400m, 460m), (after.PrepaidGrant, after.Balance));
        Assert.Equal(500m, Assert.Single(state.Plans).Options["seats"]);
    }

    [Fact]
    public void Decide_PlanNotAttached_Is404CustomerProductNotFound()
    {
        var u = At();
        var state = OnPro(u);

        var d = UpdateBilling.Decide(u.Open(state, Cat), Cat, Update("cancel_immediately", planId: "free"), u);

        Assert.Equal((404, "customer_product_not_found"), (d.Result.Status, Code(d.Result)));
    }
}
