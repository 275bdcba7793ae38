using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Api.Balances;
using static Tally.Server.Tests.Api.Kit;

using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>The balances.* decisions called directly with plain values (state, catalog, command, now, ids).</summary>
public sealed class BalanceDecisionTests
{
    private static readonly Catalog Cat = Catalog(Metered("messages", "msg_sent"), Continuous("seats"), Boolean("sso"));

    private static TrackParams TrackBody(decimal value, string? feature = "messages") =>
        new() { CustomerId = "cus_1", FeatureId = feature, Value = value };

    [Fact]
    public void TrackDecide_EnoughBalance_CommitsTheDeductionItsEventAndTheExactReply()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));

        var d = Track.Decide(state, Cat, new Track.Command(TrackBody(3), "evt_a"), At());

        Assert.Equal(200, d.Result.Status);
        Assert.Equal(7m, Json(d.Result).GetProperty("balance").GetProperty("remaining").GetDecimal());
        Assert.Equal(d.Result.Body, d.Response);
        var evt = Assert.Single(d.Changes!.Events);
        Assert.Equal(("evt_a", "messages", 3m), (evt.Id, evt.EventName, evt.Value));
        Assert.Equal(Now, evt.Timestamp);
        Assert.Equal(7m, Assert.Single(d.Changes.UpsertSources).Balance);
    }

    [Fact]
    public void TrackDecide_ByEventName_RecordsTheEventNameInTheLedger()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));
        var body = new TrackParams { CustomerId = "cus_1", EventName = "msg_sent", Value = 2 };

        var d = Track.Decide(state, Cat, new Track.Command(body, "evt_a"), At());

        Assert.Equal(200, d.Result.Status);
        Assert.Equal("msg_sent", Assert.Single(d.Changes!.Events).EventName);
    }

    [Fact]
    public void TrackDecide_UnknownFeature_IsFeatureNotFoundBeforeTheCustomerIsLookedAt()
    {
        var d = Track.Decide(null, Cat, new Track.Command(TrackBody(1, "nope"), "evt_a"), At());

        Assert.Equal((404, "feature_not_found"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
    }

    [Fact]
    public void TrackDecide_MissingCustomer_IsCustomerNotFoundAndChangesNothing()
    {
        var d = Track.Decide(null, Cat, new Track.Command(TrackBody(1), "evt_a"), At());

        Assert.Equal((404, "customer_not_found"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
        Assert.Null(d.Response);
    }

    [Fact]
    public void TrackDecide_TimestampAfterTheCustomersNow_IsRejected()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));
        var body = TrackBody(1);
        body.Timestamp = Now.AddSeconds(1).ToUnixTimeMilliseconds();

        var d = Track.Decide(state, Cat, new Track.Command(body, "evt_a"), At());

        Assert.Equal((400, "invalid_inputs"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
    }

    [Fact]
    public void TrackDecide_RejectThatDoesNotFit_IsInsufficientBalanceAndChangesNothing()
    {
        var state = Customer("cus_1", null, Grant("messages", 10, 2));
        var body = TrackBody(5);
        body.OverageBehavior = "reject";

        var d = Track.Decide(state, Cat, new Track.Command(body, "evt_a"), At());

        Assert.Equal((400, "insufficient_balance"), (d.Result.Status, Code(d.Result)));
        Assert.Null(d.Changes);
    }

    [Fact]
    public void CheckDecide_WithoutSendEvent_AnswersAndRecordsNothing()
    {
        var state = Customer("cus_1", null, Grant("messages", 10, 4));
        var body = new CheckParams { CustomerId = "cus_1", FeatureId = "messages", RequiredBalance = 5 };

        var d = Check.Decide(state, Cat, new Check.Command(body, "evt_a"), At());

        Assert.Equal(200, d.Result.Status);
        Assert.False(Json(d.Result).GetProperty("allowed").GetBoolean());
        Assert.Null(d.Response);
        Assert.True(d.Changes is null || d.Changes.IsEmpty);
    }

    [Fact]
    public void CheckDecide_SendEventThatFits_CommitsTheDeduction()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));
        var body = new CheckParams { CustomerId = "cus_1", FeatureId = "messages", RequiredBalance = 4, SendEvent = true };

        var d = Check.Decide(state, Cat, new Check.Command(body, "evt_a"), At());

        Assert.True(Json(d.Result).GetProperty("allowed").GetBoolean());
        Assert.Equal("evt_a", Assert.Single(d.Changes!.Events).Id);
        Assert.Equal(6m, Assert.Single(d.Changes.UpsertSources).Balance);
        Assert.Equal(d.Result.Body, d.Response);
    }

    [Fact]
    public void CheckDecide_SendEventOnABooleanFeature_IsRejected()
    {
        var body = new CheckParams { CustomerId = "cus_1", FeatureId = "sso", SendEvent = true };

        var d = Check.Decide(Customer("cus_1"), Cat, new Check.Command(body, "evt_a"), At());

        Assert.Equal((400, "invalid_request"), (d.Result.Status, Code(d.Result)));
    }

    [Fact]
    public void BatchTrackDecide_AppliesItemsInOrderAndSkipsWhatRejectCannotCover()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));
        Feature[] messages = [Cat.Feature("messages")!];
        var items = new List<TrackParams> { TrackBody(6), TrackBody(6), TrackBody(3) };
        items[1].OverageBehavior = "reject";
        var group = new BatchTrack.Group(items, [messages, messages, messages], ["evt_1", "evt_2", "evt_3"]);

        var d = BatchTrack.Decide(state, Cat, group, At());

        Assert.Equal(202, d.Result.Status);
        Assert.Equal(["evt_1", "evt_3"], d.Changes!.Events.Select(e => e.Id));
        Assert.Equal(1m, Assert.Single(d.Changes.UpsertSources).Balance);
    }

    [Fact]
    public void CreateBalanceDecide_NewGrant_IsCommitted_AndAPastExpiryIsRejected()
    {
        var u = At();
        var grant = new GrantCommand { Feature = Cat.Feature("messages")!, IncludedGrant = 50 };
        var ok = CreateBalance.Decide(u.Open(Customer("cus_1"), Cat), Cat,
            new CreateBalance.Command(new CreateBalanceParams { CustomerId = "cus_1", FeatureId = "messages", IncludedGrant = 50 }, grant), u);
        var past = CreateBalance.Decide(u.Open(Customer("cus_1"), Cat), Cat,
            new CreateBalance.Command(new CreateBalanceParams
            {
                CustomerId = "cus_1",
                FeatureId = "messages",
                IncludedGrant = 50,
                ExpiresAt = Now.ToUnixTimeMilliseconds()
            }, grant), u);

        Assert.Equal(200, ok.Result.Status);
        Assert.Equal(50m, Assert.Single(ok.Changes!.UpsertSources).Balance);
        Assert.Equal((400, "invalid_inputs"), (past.Result.Status, Code(past.Result)));
        Assert.Null(past.Changes);
    }

    [Fact]
    public void UpdateBalanceDecide_Remaining_SetsTheBalance()
    {
        var u = At();
        var body = new UpdateBalanceParams { CustomerId = "cus_1", FeatureId = "messages", Remaining = 3 };

        var d = UpdateBalance.Decide(u.Open(Customer("cus_1", null, Grant("messages", 10)), Cat), Cat,
            new UpdateBalance.Command(body, new BalanceTarget("messages", null, null, null)), u);

        Assert.Equal(200, d.Result.Status);
        Assert.Equal(3m, Assert.Single(d.Changes!.UpsertSources).Balance);
    }

    [Fact]
    public void DeleteBalanceDecide_StandaloneAndUnpaidPlanGrantsGo_PaidPlanGrantStays()
    {
        var u = At();
        var body = new DeleteBalanceParams { CustomerId = "cus_1", FeatureId = "messages" };
        var target = new BalanceTarget("messages", null, null, null);

        var standalone = DeleteBalance.Decide(u.Open(Customer("cus_1", null, Grant("messages", 10, planId: null)), Cat), Cat,
            new DeleteBalance.Command(body, target), u);
        var fromPlan = DeleteBalance.Decide(u.Open(Customer("cus_1", null, Grant("messages", 10)), Cat), Cat,
            new DeleteBalance.Command(body, target), u);
        var paid = DeleteBalance.Decide(u.Open(Customer("cus_1", null, Grant("messages", 10) with { Price = new ItemPrice { Amount = 2m } }), Cat), Cat,
            new DeleteBalance.Command(body, target), u);

        Assert.Equal(200, standalone.Result.Status);
        Assert.Single(standalone.Changes!.DeleteSources);
        Assert.Equal(200, fromPlan.Result.Status);
        Assert.Single(fromPlan.Changes!.DeleteSources);
        Assert.Equal((409, "invalid_request"), (paid.Result.Status, Code(paid.Result)));
        Assert.Null(paid.Changes);
    }

    [Fact]
    public void FinalizeLockDecide_ConfirmOnce_ThenAlreadyFinalized()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));
        var body = TrackBody(4);
        body.Lock = new LockParams { Enabled = true, LockId = "lk_1" };
        var held = Track.Decide(state, Cat, new Track.Command(body, "evt_lock"), At());
        state.Apply(held.Changes!);
        var confirm = new FinalizeLock.Command(new FinalizeLockParams { LockId = "lk_1", Action = "confirm" }, "evt_confirm");

        var first = FinalizeLock.Decide(state, Cat, confirm, At());
        state.Apply(first.Changes!);
        var second = FinalizeLock.Decide(state, Cat, confirm, At());
        var gone = FinalizeLock.Decide(null, Cat, confirm, At());

        Assert.Equal(200, held.Result.Status);
        Assert.Equal(200, first.Result.Status);
        Assert.Equal((409, "lock_already_finalized"), (second.Result.Status, Code(second.Result)));
        Assert.Null(second.Response);
        Assert.Equal((400, "invalid_request"), (gone.Result.Status, Code(gone.Result)));
    }
}
