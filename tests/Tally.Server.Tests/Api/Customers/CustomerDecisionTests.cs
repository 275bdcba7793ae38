using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Customers;
using static Tally.Server.Tests.Api.Kit;

using Plan = Tally.Core.Domain.Plan;
using PlanItem = Tally.Core.Domain.PlanItem;

namespace Tally.Server.Tests.Api.Customers;

/// <summary>The customers.* decisions called directly with plain values (state, catalog, command, now, ids).</summary>
public sealed class CustomerDecisionTests
{
    private static readonly Catalog Cat = new([Metered("messages")],
        [new Plan { Id = "free", Name = "Free", AutoEnable = true, Items = [new PlanItem { FeatureId = "messages", Included = 5 }], CreatedAt = Epoch }]);

    [Fact]
    public void GetOrCreateDecide_NewCustomer_IsCreatedWithItsAutoEnabledPlans()
    {
        var d = GetOrCreateCustomer.Decide(null, Cat, new GetOrCreateCustomerParams { CustomerId = "cus_new", Name = "Ada" }, At());

        Assert.Equal(200, d.Result.Status);
        Assert.True(d.Changes!.CustomerIsNew);
        Assert.Equal(("cus_new", "Ada", Now), (d.Changes.Customer!.Id, d.Changes.Customer.Name, d.Changes.Customer.CreatedAt));
        Assert.Equal(5m, Assert.Single(d.Changes.UpsertSources).Balance);
        Assert.Equal(d.Result.Body, d.Response);
    }

    [Fact]
    public void GetOrCreateDecide_ExistingCustomer_OnlyFillsAnEmptyName()
    {
        var state = Customer("cus_1");
        var named = GetOrCreateCustomer.Decide(state, Cat, new GetOrCreateCustomerParams { CustomerId = "cus_1", Name = "Ada" }, At());

        Assert.Equal("Ada", named.Changes!.Customer!.Name);
        Assert.False(named.Changes.CustomerIsNew);
        Assert.Empty(named.Changes.UpsertSources);
    }

    [Fact]
    public void GetCustomerDecide_AnswersWithoutAnIdempotencyRecord()
    {
        var u = At();
        var state = Customer("cus_1", null, Grant("messages", 10, 4));

        var d = GetCustomer.Decide(u.Open(state, Cat), Cat, false, u);

        Assert.Equal(200, d.Result.Status);
        Assert.Equal("cus_1", Json(d.Result).GetProperty("id").GetString());
        Assert.Equal(4m, Json(d.Result).GetProperty("balances").GetProperty("messages").GetProperty("remaining").GetDecimal());
        Assert.Null(d.Response);
    }

    [Fact]
    public void ListCustomersDecide_DeletedMeanwhile_IsSkipped_ElseTheWireShape()
    {
        var gone = ListCustomers.Decide(null, Cat, false, At());
        var found = ListCustomers.Decide(Customer("cus_1"), Cat, false, At());

        Assert.Null(gone.Result);
        Assert.Equal("cus_1", found.Result!.Id);
    }

    [Fact]
    public void UpdateCustomerDecide_SpecifiedFieldsReplace_OthersStay()
    {
        var u = At();
        var state = Customer("cus_1");
        var body = new UpdateCustomerParams { CustomerId = "cus_1", Email = "a@example.com" };

        var d = UpdateCustomer.Decide(u.Open(state, Cat), Cat, new UpdateCustomer.Command(body, "cus_1"), u);

        Assert.Equal(200, d.Result.Status);
        Assert.Equal(("a@example.com", Epoch), (d.Changes!.Customer!.Email, d.Changes.Customer.CreatedAt));
    }

    [Fact]
    public void DeleteCustomerDecide_DeletesOrAnswersNotFound()
    {
        var deleted = DeleteCustomer.Decide(Customer("cus_1"), Cat, "cus_1", At());
        var missing = DeleteCustomer.Decide(null, Cat, "cus_1", At());

        Assert.True(deleted.Changes!.DeleteCustomer);
        Assert.Equal((404, "customer_not_found"), (missing.Result.Status, Code(missing.Result)));
    }

    [Fact]
    public void AdvanceTestClockDecide_MovesTheClockForward_NeverBack()
    {
        var target = Now.AddDays(3);
        var moved = AdvanceTestClock.Decide(Customer("cus_1"), Cat, new AdvanceTestClock.Command("cus_1", target), At());
        var back = AdvanceTestClock.Decide(Customer("cus_1"), Cat, new AdvanceTestClock.Command("cus_1", Now.AddDays(-1)), At());

        Assert.Equal(target, moved.Changes!.Customer!.TestClock);
        Assert.Equal(target.ToUnixTimeMilliseconds(), Json(moved.Result).GetProperty("frozen_time").GetInt64());
        Assert.Equal((400, "invalid_inputs"), (back.Result.Status, Code(back.Result)));
        Assert.Null(back.Changes);
    }
}
