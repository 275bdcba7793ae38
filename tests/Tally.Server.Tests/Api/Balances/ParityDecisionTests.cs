using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Api.Balances;
using Tally.Server.Api.Plans;
using static Tally.Server.Tests.Api.Kit;

using CustomerPlan = Tally.Core.Domain.CustomerPlan;
using Feature = Tally.Core.Domain.Feature;
using Plan = Tally.Core.Domain.Plan;
using PlanPrice = Tally.Core.Domain.PlanPrice;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>Autumn's balance rules Tally follows (issue #18), on the decisions called directly with plain values.</summary>
public sealed class ParityDecisionTests
{
    private static readonly Catalog Cat = Catalog(Metered("messages", "ev"), Metered("other", "ev"), Continuous("seats"));

    private static TrackParams ByEvent(decimal value) => new() { CustomerId = "cus_1", EventName = "ev", Value = value };

    [Fact]
    public void TrackDecide_EventFannedOutToTwoFeatures_CustomerHoldsOne_AnswersWithThatBalance()
    {
        var state = Customer("cus_1", null, Grant("messages", 10));

        var d = Track.Decide(state, Cat, new Track.Command(ByEvent(4), "evt_a"), At());

        var balance = Json(d.Result).GetProperty("balance");
        Assert.Equal("messages", balance.GetProperty("feature_id").GetString());
        Assert.Equal(6m, balance.GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public void TrackDecide_EventFannedOutToTwoFeatures_CustomerHoldsBoth_AnswersWithNoSingleBalance()
    {
        var state = Customer("cus_1", null, Grant("messages", 10), Grant("other", 10));

        var d = Track.Decide(state, Cat, new Track.Command(ByEvent(4), "evt_a"), At());

        Assert.Equal(System.Text.Json.JsonValueKind.Null, Json(d.Result).GetProperty("balance").ValueKind);
    }

    private static GrantCommand RollingGrant(DateTimeOffset? expires, DateTimeOffset? nextReset = null, bool rollover = true) => new()
    {
        Feature = Metered("messages"),
        IncludedGrant = 10,
        Reset = new ItemReset(ResetInterval.Month, 1),
        Rollover = rollover ? new RolloverConfig { Max = 5, ExpiryType = RolloverExpiry.Month, ExpiryLength = 1 } : null,
        ExpiresAt = expires,
        NextResetAt = nextReset,
    };

    [Fact]
    public void RolloverOutlived_ExpiresBeforeTheFirstReset_NamesThatReset()
    {
        Assert.Equal(Now.AddMonths(1), CreateBalance.RolloverOutlived(RollingGrant(Now.AddDays(10)), Now));
        Assert.Equal(Now.AddDays(20), CreateBalance.RolloverOutlived(RollingGrant(Now.AddDays(10), Now.AddDays(20)), Now));
    }

    [Fact]
    public void RolloverOutlived_ExpiresAfterTheFirstReset_OrNoRollover_IsNull()
    {
        Assert.Null(CreateBalance.RolloverOutlived(RollingGrant(Now.AddDays(70)), Now));
        Assert.Null(CreateBalance.RolloverOutlived(RollingGrant(Now.AddDays(10), rollover: false), Now));
        Assert.Null(CreateBalance.RolloverOutlived(RollingGrant(null), Now));
    }

    private static Tally.Core.Storage.Decision<Tally.Server.Http.Reply> Delete(CustomerState state, DeleteBalanceParams body) =>
        DeleteBalance.Decide(At().Open(state, Cat), Cat,
            new DeleteBalance.Command(body, new BalanceTarget(body.FeatureId ?? "", body.EntityId, null, body.BalanceId)), At());

    [Fact]
    public void DeleteDecide_RecalculatingTheOnlyBalance_KeepsItAsTheHolderOfTheUsage()
    {
        var state = Customer("cus_1", null, Grant("messages", 10, balance: 3) with { Id = "plan_src" });

        var d = Delete(state, new DeleteBalanceParams { CustomerId = "cus_1", FeatureId = "messages", RecalculateBalances = true });

        Assert.Equal(200, d.Result.Status);
        Assert.Empty(d.Changes!.DeleteSources);
        var kept = Assert.Single(d.Changes.UpsertSources);
        Assert.Equal(("plan_src", 0m, -7m, 7m), (kept.Id, kept.Granted, kept.Balance, kept.Usage));
        Assert.Null(kept.NextResetAt);
    }

    [Fact]
    public void DeleteDecide_RecalculatingWithASurvivor_MovesTheUsageAndDeletesTheRow()
    {
        var state = Customer("cus_1", null, Grant("messages", 100) with { Id = "plan_src" },
            Grant("messages", 30, balance: 20, planId: null) with { Id = "topup" });

        var d = Delete(state, new DeleteBalanceParams { CustomerId = "cus_1", FeatureId = "messages", BalanceId = "topup", RecalculateBalances = true });

        Assert.Equal("topup", Assert.Single(d.Changes!.DeleteSources));
        var survivor = Assert.Single(d.Changes.UpsertSources);
        Assert.Equal(("plan_src", 90m), (survivor.Id, survivor.Balance));
    }

    [Fact]
    public void DeleteDecide_UnpaidPlanBalance_IsDeleted_PaidOneIs409AndStays()
    {
        var unpaid = Delete(Customer("cus_1", null, Grant("messages", 10) with { Id = "src" }),
            new DeleteBalanceParams { CustomerId = "cus_1", BalanceId = "src" });
        var paid = Delete(Customer("cus_1", null, Grant("messages", 10) with { Id = "src", Price = new ItemPrice { Amount = 1m } }),
            new DeleteBalanceParams { CustomerId = "cus_1", BalanceId = "src" });

        Assert.Equal("src", Assert.Single(unpaid.Changes!.DeleteSources));
        Assert.Equal(409, paid.Result.Status);
        Assert.Null(paid.Changes);
    }

    private static TrackParams Item(decimal value, string? key = null, string? entity = null) =>
        new() { CustomerId = "cus_1", FeatureId = "messages", Value = value, IdempotencyKey = key, EntityId = entity };

    private static BatchTrack.Group Unit(bool keyed, params TrackParams[] items) =>
        new(items, [.. items.Select(_ => (IReadOnlyList<Feature>)[Cat.Feature("messages")!])], [.. items.Select((_, i) => $"evt_{i}")], keyed);

    [Fact]
    public void BatchSplit_KeyedItemsRunAlone_TheOthersTogetherInOrder()
    {
        TrackParams[] items = [Item(1), Item(2, "k1"), Item(3), Item(4), Item(5, "k2")];
        var features = items.Select(_ => (IReadOnlyList<Feature>)[Cat.Feature("messages")!]).ToList();

        var units = BatchTrack.Split(items, features, [.. items.Select((_, i) => $"evt_{i}")]);

        Assert.Equal(new[] { (false, 1), (true, 1), (false, 2), (true, 1) }, units.Select(u => (u.Keyed, u.Items.Count)));
        Assert.Equal(new[] { 1m, 2m, 3m, 4m, 5m }, units.SelectMany(u => u.Items).Select(i => i.Value!.Value));
    }

    [Fact]
    public void BatchDecide_ItemNamingAnUnknownEntity_IsSkipped_TheRestApply()
    {
        var state = Customer("cus_1", null, Grant("messages", 100));

        var d = BatchTrack.Decide(state, Cat, Unit(false, Item(2), Item(5, entity: "ghost"), Item(3)), At());

        Assert.Equal(202, d.Result.Status);
        Assert.Equal(95m, Assert.Single(d.Changes!.UpsertSources).Balance);
        Assert.Equal(2, d.Changes.Events.Count);
    }

    [Fact]
    public void BatchDecide_KeyedItemThatCannotApply_KeepsNoAnswerSoItsKeyStaysFree()
    {
        var state = Customer("cus_1", null, Grant("messages", 100));

        var skipped = BatchTrack.Decide(state, Cat, Unit(true, Item(5, "k", entity: "ghost")), At());
        var applied = BatchTrack.Decide(state, Cat, Unit(true, Item(5, "k")), At());

        Assert.Null(skipped.Response);
        Assert.NotNull(applied.Response);
    }

    [Fact]
    public void BatchScopes_AreUnambiguous_WhereverASeparatorFalls()
    {
        Assert.NotEqual(BatchTrack.HeaderScope("a:1:b", "c", 0), BatchTrack.HeaderScope("a", "b:c", 0));
        Assert.NotEqual(BatchTrack.HeaderScope("h", "c", 1), BatchTrack.HeaderScope("h", "c", 2));
        Assert.NotEqual(BatchTrack.BodyKeyScope("a:1", "b"), BatchTrack.BodyKeyScope("a", "1:b"));
    }

    private static Contracts.PlanItem ItemOf(string? entityFeature, int? count = null) => new()
    {
        FeatureId = "messages",
        Included = 10,
        Reset = new PlanItemReset { Interval = "month", IntervalCount = count },
        EntityFeatureId = entityFeature,
    };

    [Fact]
    public void PlanItems_SameFeatureAndInterval_ConflictOnlyOnEqualEntityFeature()
    {
        var perSeatAndShared = PlanRules.Items(Tenant, [ItemOf(null), ItemOf("seats")], Cat);
        var twiceShared = PlanRules.Items(Tenant, [ItemOf(null), ItemOf(null)], Cat);
        var twicePerSeat = PlanRules.Items(Tenant, [ItemOf("seats"), ItemOf("seats")], Cat);
        var otherCount = PlanRules.Items(Tenant, [ItemOf(null), ItemOf(null, 2)], Cat);

        Assert.Equal(2, perSeatAndShared.Items!.Count);
        Assert.Equal(400, twiceShared.Error!.Status);
        Assert.Equal(400, twicePerSeat.Error!.Status);
        Assert.Equal(2, otherCount.Items!.Count);
    }

    [Theory]
    [InlineData("""{"pooled":true}""", "pooled")]
    [InlineData("""{"proration":{"on_increase":"prorate"}}""", "proration")]
    [InlineData("""{"expiry":{"duration":"month"}}""", "expiry")]
    [InlineData("""{"threshold_billing":{"enabled":true}}""", "threshold_billing")]
    [InlineData("""{"feature_override":{"x":1}}""", "feature_override")]
    [InlineData("""{"pooled":false,"proration":null}""", null)]
    public void PlanItems_FieldsTallyCannotHonour_Are400NamingThem(string extra, string? field)
    {
        var json = """{"feature_id":"messages","included":1,""" + extra[1..];
        var item = System.Text.Json.JsonSerializer.Deserialize(json, TallyJsonContext.Default.PlanItem)!;

        var (items, error) = PlanRules.Items(Tenant, [item], Cat);

        if (field is null)
        {
            Assert.Single(items!);
            return;
        }
        Assert.Equal(400, error!.Status);
        Assert.Contains($"items[0].{field}: not supported by Tally", Json(error).GetProperty("message").GetString());
    }

    [Fact]
    public void CheckDecide_DeniedWithPreview_NamesTheCheapestUpgradeAndTheAddOn()
    {
        var free = new Plan { Id = "free", Name = "Free", Items = [new() { FeatureId = "messages", Included = 5 }] };
        var pro = new Plan { Id = "pro", Name = "Pro", Price = new PlanPrice(20m, ResetInterval.Month, 1), Items = [new() { FeatureId = "messages", Included = 500 }] };
        var max = new Plan { Id = "max", Name = "Max", Price = new PlanPrice(90m, ResetInterval.Month, 1), Items = [new() { FeatureId = "messages", Included = 5000 }] };
        var pack = new Plan { Id = "pack", Name = "Pack", AddOn = true, Items = [new() { FeatureId = "messages", Included = 100 }] };
        var cat = new Catalog([Metered("messages")], [free, pro, max, pack]);
        var state = Customer("cus_1", null, Grant("messages", 5, balance: 0, planId: "free"));
        state.Apply(PlanAttached());
        var body = new CheckParams { CustomerId = "cus_1", FeatureId = "messages", WithPreview = true };

        var denied = Check.Decide(state, cat, new Check.Command(body, "evt_a"), At());
        var without = Check.Decide(state, cat, new Check.Command(new CheckParams { CustomerId = "cus_1", FeatureId = "messages" }, "evt_a"), At());

        var preview = Json(denied.Result).GetProperty("preview");
        Assert.Equal("usage_limit", preview.GetProperty("scenario").GetString());
        Assert.Equal("Upgrade to Pro", preview.GetProperty("title").GetString());
        Assert.Equal(new[] { "pro", "max", "pack" }, preview.GetProperty("products").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Contains("Alternatively, you can purchase the Pack add on.", preview.GetProperty("message").GetString());
        Assert.False(Json(without.Result).TryGetProperty("preview", out _));
    }

    private static CustomerChanges PlanAttached()
    {
        var changes = new CustomerChanges();
        changes.UpsertPlans.Add(new CustomerPlan { Id = "cp_free", PlanId = "free" });
        return changes;
    }
}
