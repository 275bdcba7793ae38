using Tally.Contracts;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>The balance engine through HTTP: the README quickstart, credit systems, refunds, seats, standalone grants and balances.update.</summary>
public sealed class BalanceEngineTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task ReadmeQuickstart_BalanceMovesAsDocumented()
    {
        // The README's exact ids, on a server of its own.
        await using var own = await TallyApp.StartAsync();
        var t = own.Api;

        (await t.PostAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""")).ShouldBe(200);
        (await t.PostAsync("plans.create", """{"plan_id":"pro","name":"Pro","items":[{"feature_id":"messages","included":100,"reset":{"interval":"month"}}]}""")).ShouldBe(200);
        (await t.PostAsync("customers.get_or_create", """{"customer_id":"u1","name":"Ada"}""")).ShouldBe(200);
        (await t.PostAsync("billing.attach", """{"customer_id":"u1","plan_id":"pro"}""")).ShouldBe(200);
        var start = (await t.PostAsync("customers.get", """{"customer_id":"u1"}""")).ShouldBe(200).Json.GetProperty("balances").GetProperty("messages");
        var check30 = (await t.PostAsync("balances.check", """{"customer_id":"u1","feature_id":"messages","required_balance":30}""")).ShouldBe(200).Json;
        var track30 = (await t.PostAsync("balances.track", """{"customer_id":"u1","feature_id":"messages","value":30}""")).ShouldBe(200).Json;
        var check80 = (await t.PostAsync("balances.check", """{"customer_id":"u1","feature_id":"messages","required_balance":80}""")).ShouldBe(200).Json;
        const string Retry = """{"customer_id":"u1","feature_id":"messages","value":5,"idempotency_key":"req-1"}""";
        var first = (await t.PostAsync("balances.track", Retry)).ShouldBe(200);
        var replay = (await t.PostAsync("balances.track", Retry)).ShouldBe(200);
        var other = await t.PostAsync("balances.track", """{"customer_id":"u1","feature_id":"messages","value":6,"idempotency_key":"req-1"}""");
        var end = await t.BalanceAsync("u1", "messages");

        Assert.Equal(100m, start.Dec("granted"));
        Assert.Equal(100m, start.Dec("remaining"));
        Assert.True(check30.GetProperty("allowed").GetBoolean());
        Assert.Equal(70m, track30.GetProperty("balance").Dec("remaining"));
        Assert.Equal(30m, track30.GetProperty("balance").Dec("usage"));
        Assert.False(check80.GetProperty("allowed").GetBoolean());
        Assert.Equal(70m, check80.GetProperty("balance").Dec("remaining"));
        Assert.Equal(65m, first.Json.GetProperty("balance").Dec("remaining"));
        Assert.Equal(first.Body, replay.Body);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(replay.Headers.GetValues("Idempotent-Replayed")));
        other.ShouldFail(409, "duplicate_idempotency_key");
        Assert.Equal(65m, end!.Remaining);
        Assert.Equal(35m, end.Usage);
        Assert.Equal([5m, 30m], (await t.EventsAsync("u1")).Select(e => e.Value));
    }

    [Fact]
    public async Task CreditSystem_ChargedThroughAnEventName_AtItsCreditCost()
    {
        var apiCall = await Api.MeteredFeatureAsync(Id.New("api_call"), eventNames: "api_request");
        var credits = await Api.CreditSystemAsync((apiCall, 2));
        var plan = await Api.PlanAsync(Setup.Item(credits, 100));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        var track = await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","event_name":"api_request","value":10}""");
        var check = (await Api.CheckAsync(customer, apiCall, 5)).ShouldBe(200).As(C.CheckResponse);
        var tooMuch = (await Api.CheckAsync(customer, apiCall, 41)).ShouldBe(200).As(C.CheckResponse);

        var t = track.ShouldBe(200).As(C.BalancesTrackResponse);
        Assert.Equal("api_request", t.EventName);
        Assert.Equal(10m, t.Value);
        Assert.Equal(credits, t.Balance!.FeatureId);
        Assert.Equal(80m, t.Balance.Remaining);
        Assert.Null(t.Balances![apiCall]);
        Assert.Equal(80m, t.Balances[credits]!.Remaining);
        var d = Assert.Single(t.Deductions!);
        Assert.Equal(credits, d.FeatureId);
        Assert.Equal(20m, d.Value);
        Assert.True(check.Allowed);
        Assert.Equal(10m, check.RequiredBalance);
        Assert.False(tooMuch.Allowed);
        Assert.Equal(82m, tooMuch.RequiredBalance);
        var e = Assert.Single(await Api.EventsAsync(customer));
        Assert.Equal("api_request", e.FeatureId);
        Assert.Equal(10m, e.Value);
        Assert.Equal(20m, Assert.Single(e.Deductions!).Value);
        Assert.Equal(80m, (await Api.BalanceAsync(customer, credits))!.Remaining);
    }

    [Fact]
    public async Task EventName_FansOutToEveryFeatureListingIt_WithNullBalance()
    {
        var name = Id.New("evt");
        var a = await Api.MeteredFeatureAsync(eventNames: name);
        var b = await Api.MeteredFeatureAsync(eventNames: name);
        var plan = await Api.PlanAsync(Setup.Item(a, 10), Setup.Item(b, 20));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        var res = await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","event_name":"{{name}}","value":3}""");

        var t = res.ShouldBe(200).As(C.BalancesTrackResponse);
        Assert.Null(t.Balance);
        Assert.Equal(7m, t.Balances![a]!.Remaining);
        Assert.Equal(17m, t.Balances[b]!.Remaining);
        Assert.Equal(7m, (await Api.BalanceAsync(customer, a))!.Remaining);
        Assert.Equal(17m, (await Api.BalanceAsync(customer, b))!.Remaining);
    }

    [Fact]
    public async Task EventName_RejectIsAllOrNothingAcrossTheFeatures()
    {
        var name = Id.New("evt");
        var a = await Api.MeteredFeatureAsync(eventNames: name);
        var b = await Api.MeteredFeatureAsync(eventNames: name);
        var plan = await Api.PlanAsync(Setup.Item(a, 10), Setup.Item(b, 2));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        var res = await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","event_name":"{{name}}","value":3,"overage_behavior":"reject"}""");

        res.ShouldFail(400, "insufficient_balance");
        Assert.Equal(10m, (await Api.BalanceAsync(customer, a))!.Remaining);
        Assert.Equal(2m, (await Api.BalanceAsync(customer, b))!.Remaining);
    }

    [Fact]
    public async Task NegativeValue_Refunds_ButNeverAboveTheGrant()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        (await Api.TrackAsync(customer, feature, 30)).ShouldBe(200);

        var refund = await Api.TrackAsync(customer, feature, -10);
        var overRefund = await Api.TrackAsync(customer, feature, -50);

        var r = refund.ShouldBe(200).As(C.BalancesTrackResponse);
        Assert.Equal(-10m, r.Value);
        Assert.Equal(80m, r.Balance!.Remaining);
        Assert.Equal(20m, r.Balance.Usage);
        Assert.Equal(-10m, Assert.Single(r.Deductions!).Value);
        var o = overRefund.ShouldBe(200).As(C.BalancesTrackResponse);
        Assert.Equal(100m, o.Balance!.Remaining);
        Assert.Equal(0m, o.Balance.Usage);
        Assert.Equal(100m, o.Balance.Granted);
    }

    [Fact]
    public async Task Entities_CountAsSeats()
    {
        var seats = await Api.MeteredFeatureAsync(Id.New("seats"), consumable: false);
        var plan = await Api.PlanAsync(Setup.Item(seats, 2, interval: null));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats }, C.EntityResponse);
        var one = await Api.BalanceAsync(customer, seats);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u2", FeatureId = seats }, C.EntityResponse);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u3", FeatureId = seats }, C.EntityResponse);
        var three = await Api.BalanceAsync(customer, seats);
        (await Api.PostAsync("entities.delete", new DeleteEntityParams { CustomerId = customer, EntityId = "u1" })).ShouldBe(200);
        (await Api.PostAsync("entities.delete", new DeleteEntityParams { CustomerId = customer, EntityId = "u2" })).ShouldBe(200);
        (await Api.PostAsync("entities.delete", new DeleteEntityParams { CustomerId = customer, EntityId = "u3" })).ShouldBe(200);
        var none = await Api.BalanceAsync(customer, seats);

        Assert.Equal(1m, one!.Usage);
        Assert.Equal(1m, one.Remaining);
        Assert.Null(one.NextResetAt);
        // Free seats may go past their allowance (autumn-api.md §5.4): usage 3 of 2, remaining shown as 0.
        Assert.Equal(3m, three!.Usage);
        Assert.Equal(0m, three.Remaining);
        Assert.Equal(0m, none!.Usage);
        Assert.Equal(2m, none.Remaining);
    }

    [Fact]
    public async Task EntityTrack_DrawsTheEntitysOwnBalanceFirst_ThenTheCustomers()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var msg = await Api.MeteredFeatureAsync();
        var shared = await Api.PlanAsync(Setup.Item(msg, 100));
        var own = await Api.PlanAsync(Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, shared);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats }, C.EntityResponse);
        await Api.AttachAsync(customer, own, "u1");

        var res = await Api.TrackAsync(customer, msg, 15, entityId: "u1");
        var entity = await Api.OkAsync("entities.get", new GetEntityParams { CustomerId = customer, EntityId = "u1" }, C.EntityResponse);
        var events = await Api.EventsAsync(customer);

        var t = res.ShouldBe(200).As(C.BalancesTrackResponse);
        Assert.Equal("u1", t.EntityId);
        Assert.Equal([10m, 5m], t.Deductions!.Select(d => d.Value));
        Assert.Equal([own, shared], t.Deductions!.Select(d => d.PlanId!));
        Assert.Equal(95m, entity.Balances[msg].Remaining);
        Assert.Equal("u1", Assert.Single(events).EntityId);
    }

    [Fact]
    public async Task UsageBasedPrice_AllowsOverageDownToMaxPurchase()
    {
        var feature = await Api.MeteredFeatureAsync();
        var plan = Id.New("payg");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "PAYG",
            Items = [new PlanItem
            {
                FeatureId = feature,
                Included = 10,
                Reset = new PlanItemReset { Interval = "month" },
                Price = new PlanItemPrice { Amount = 1, Interval = "month", BillingMethod = "usage_based", MaxPurchase = 5 },
            }],
        }, C.Plan);
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        var fits = (await Api.CheckAsync(customer, feature, 15)).ShouldBe(200).As(C.CheckResponse);
        var over = (await Api.CheckAsync(customer, feature, 16)).ShouldBe(200).As(C.CheckResponse);
        var track = (await Api.TrackAsync(customer, feature, 20)).ShouldBe(200).As(C.BalancesTrackResponse);

        Assert.True(fits.Allowed);
        Assert.False(over.Allowed);
        Assert.True(over.Balance!.OverageAllowed);
        Assert.Equal(5m, over.Balance.MaxPurchase);
        Assert.Equal(0m, track.Balance!.Remaining);
        Assert.Equal(15m, track.Balance.Usage);
    }

    [Fact]
    public async Task PerEntityItem_GivesEveryEntityItsOwnAllowance_SummedForTheCustomer()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(seats, 10, interval: null), new PlanItem
        {
            FeatureId = msg,
            Included = 7,
            Reset = new PlanItemReset { Interval = "month" },
            EntityFeatureId = seats,
        });
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "a", FeatureId = seats }, C.EntityResponse);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "b", FeatureId = seats }, C.EntityResponse);

        var a = (await Api.TrackAsync(customer, msg, 3, entityId: "a")).ShouldBe(200).As(C.BalancesTrackResponse);
        var whole = await Api.BalanceAsync(customer, msg);
        var b = await Api.OkAsync("entities.get", new GetEntityParams { CustomerId = customer, EntityId = "b" }, C.EntityResponse);
        var capped = (await Api.TrackAsync(customer, msg, 7, entityId: "a")).ShouldBe(200).As(C.BalancesTrackResponse);

        Assert.Equal((7m, 4m), (a.Balance!.Granted, a.Balance.Remaining));
        Assert.Equal((14m, 11m, 3m), (whole!.Granted, whole.Remaining, whole.Usage));
        Assert.Equal((7m, 7m), (b.Balances[msg].Granted, b.Balances[msg].Remaining));
        Assert.Equal((0m, 7m), (capped.Balance!.Remaining, capped.Balance.Usage));
    }

    [Fact]
    public async Task StandaloneGrant_DrainedToZero_DisappearsFromLaterReads()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();
        (await Api.PostAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = 10 })).ShouldBe(200);

        var partial = await Api.TrackAsync(customer, feature, 4);
        var draining = await Api.TrackAsync(customer, feature, 6);
        var customerAfter = await Api.GetCustomerAsync(customer);
        var check = (await Api.CheckAsync(customer, feature)).ShouldBe(200).Json;
        var later = (await Api.TrackAsync(customer, feature, 1)).ShouldBe(200).Json;

        Assert.Equal(6m, partial.ShouldBe(200).As(C.BalancesTrackResponse).Balance!.Remaining);
        var drained = draining.ShouldBe(200).As(C.BalancesTrackResponse).Balance!;
        Assert.Equal(0m, drained.Remaining);
        Assert.Equal(10m, drained.Usage);
        Assert.False(customerAfter.Balances.ContainsKey(feature));
        Assert.False(check.GetProperty("allowed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, check.GetProperty("balance").ValueKind);
        Assert.Equal(JsonValueKind.Null, later.GetProperty("balance").ValueKind);
    }

    [Fact]
    public async Task StandaloneGrant_StacksOnThePlanBalance_AndDrainedStaysHiddenBehindIt()
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(10);
        (await Api.PostAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = 5, BalanceId = "promo" })).ShouldBe(200);

        var stacked = await Api.BalanceAsync(customer, feature);
        (await Api.TrackAsync(customer, feature, 15)).ShouldBe(200);
        var drained = await Api.BalanceAsync(customer, feature);

        Assert.Equal(15m, stacked!.Granted);
        Assert.Equal(2, stacked.Breakdown!.Count);
        Assert.Equal(10m, drained!.Granted);
        Assert.Equal(10m, drained.Usage);
        Assert.Equal(plan, Assert.Single(drained.Breakdown!).PlanId);
    }

    [Fact]
    public async Task Update_Remaining_AddToBalance_Usage_MoveTheNumbers()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        async Task<Balance> UpdateAsync(string fields)
        {
            (await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}",{{fields}}}""")).ShouldBe(200);
            return (await Api.BalanceAsync(customer, feature))!;
        }

        var remaining = await UpdateAsync("\"remaining\":40");
        var added = await UpdateAsync("\"add_to_balance\":10");
        var subtracted = await UpdateAsync("\"add_to_balance\":-5");
        var usage = await UpdateAsync("\"usage\":20");
        var above = await UpdateAsync("\"remaining\":130");
        var negative = await UpdateAsync("\"remaining\":-5");

        Assert.Equal((100m, 40m, 60m), (remaining.Granted, remaining.Remaining, remaining.Usage));
        Assert.Equal((100m, 50m, 50m), (added.Granted, added.Remaining, added.Usage));
        Assert.Equal((100m, 45m, 55m), (subtracted.Granted, subtracted.Remaining, subtracted.Usage));
        Assert.Equal((100m, 80m, 20m), (usage.Granted, usage.Remaining, usage.Usage));
        Assert.Equal((100m, 130m, -30m), (above.Granted, above.Remaining, above.Usage));
        Assert.Equal((100m, 0m, 105m), (negative.Granted, negative.Remaining, negative.Usage));
    }

    [Fact]
    public async Task Update_IncludedGrant_KeepsRemaining_SoUsageMoves()
    {
        // autumn-api.md §4.6: grant 100 → included_grant 150 with remaining 100 gives usage 50.
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var res = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","included_grant":150}""");
        var b = await Api.BalanceAsync(customer, feature);

        res.ShouldBe(200);
        Assert.Equal(150m, b!.Granted);
        Assert.Equal(100m, b.Remaining);
        Assert.Equal(50m, b.Usage);
        Assert.Equal(150m, Assert.Single(b.Breakdown!).IncludedGrant);
    }

    [Fact]
    public async Task Update_FeatureWithoutBalance_Is200NoOp_ButIncludedGrantIs404()
    {
        var customer = await Api.CustomerAsync();
        var feature = await Api.MeteredFeatureAsync();
        var before = (await Api.GetCustomerRawAsync(customer)).Body;

        var remaining = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","remaining":50}""");
        var add = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","add_to_balance":5}""");
        var usage = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","usage":5}""");
        var grant = await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","included_grant":150}""");

        Assert.True(remaining.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        Assert.True(add.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        Assert.True(usage.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        grant.ShouldFail(404, "invalid_request", "No balances to update");
        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Body);
    }

    [Fact]
    public async Task Update_EntityScoped_TouchesOnlyThatEntitysBalance()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var msg = await Api.MeteredFeatureAsync();
        var shared = await Api.PlanAsync(Setup.Item(msg, 100));
        var own = await Api.PlanAsync(Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, shared);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats }, C.EntityResponse);
        await Api.AttachAsync(customer, own, "u1");

        (await Api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","entity_id":"u1","feature_id":"{{msg}}","remaining":3}""")).ShouldBe(200);
        var entity = await Api.OkAsync("entities.get", new GetEntityParams { CustomerId = customer, EntityId = "u1" }, C.EntityResponse);
        var customerView = await Api.GetCustomerAsync(customer);

        var ownSource = Assert.Single(entity.Balances[msg].Breakdown!, b => b.PlanId == own);
        Assert.Equal(3m, ownSource.Remaining);
        Assert.Equal(100m, Assert.Single(customerView.Balances[msg].Breakdown!, b => b.PlanId == shared).Remaining);
    }
}
