namespace Tally.Core.Tests;

/// <summary>
/// The cases of autumn-internals.md §7.2 that need no time travel, with Autumn's numbers. "Concurrent" cases
/// are run sequentially: the engine decides one request at a time per customer.
/// </summary>
public sealed class AutumnConformanceTests
{
    // 1. track-basic1
    [Fact]
    public void Track_NoValueOnM100_Leaves99AndUsage1()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));

        var r = s.Track(s.Command("messages"));

        Assert.Equal(1m, r.Outcome.Event!.Value);
        Assert.Equal(99m, r.Balance!.Remaining);
        Assert.Equal(1m, r.Balance.Usage);
    }

    // 2. track-basic2
    [Fact]
    public void Track_DecimalOnM100_LeavesExactDecimal()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));

        s.Track("messages", 23.47m);

        Assert.Equal(76.53m, s.Balance(m));
        Assert.Equal(23.47m, s.View("messages")!.Usage);
    }

    // 3. track-basic3
    [Fact]
    public void Track_OneOfThreeFeatures_OnlyThatFeatureChanges()
    {
        var s = new Scenario(F.Metered("action1"), F.Metered("action2"), F.Metered("action3"));
        var a1 = s.Add(Src.Monthly("action1", 100));
        var a2 = s.Add(Src.Monthly("action2", 150));
        var a3 = s.Add(Src.Monthly("action3", 200));

        var r = s.Track("action1", 37.82m);

        Assert.Equal(62.18m, s.Balance(a1));
        Assert.Equal(150m, s.Balance(a2));
        Assert.Equal(200m, s.Balance(a3));
        Assert.Single(r.Changes.UpsertSources);
    }

    // 4. track-basic4
    [Fact]
    public void Track_BooleanFeature_NullBalanceAndNoChange()
    {
        var s = new Scenario(F.Boolean("sso"));
        s.Add(Src.Flag("sso"));

        var r = s.Track("sso");

        Assert.True(r.Applied);
        Assert.Null(r.Balance);
        Assert.Empty(r.Changes.UpsertSources);
        Assert.Empty(r.Deltas);
    }

    // 5. track-breakdown-unlimited
    [Fact]
    public void TrackAndCheck_UnlimitedWithM100_UnlimitedWins()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));
        s.Add(Src.Unlimited("messages"));

        var r = s.Track("messages", 1000);
        var c = s.Check("messages", 999_999);

        Assert.True(r.Applied);
        Assert.True(r.Balance!.Unlimited);
        Assert.Equal(0m, r.Balance.Granted);
        Assert.Equal(0m, r.Balance.Remaining);
        Assert.Null(r.Balance.NextResetAt);
        Assert.Equal(100m, s.Balance(m));
        Assert.True(c.Allowed);
    }

    // 6. track-negative1
    [Fact]
    public void Track_RefundsOnM100_CappedAtGranted()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));

        s.Track("messages", 30);
        Assert.Equal(70m, s.Balance(m));
        s.Track("messages", -10);
        Assert.Equal(80m, s.Balance(m));
        s.Track("messages", -50);
        Assert.Equal(100m, s.Balance(m));
        Assert.Equal(0m, s.View("messages")!.Usage);
    }

    // 7. track-negative2
    [Fact]
    public void Track_RefundOnFreshM100_StaysAt100()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));

        s.Track("messages", -37.89m);

        Assert.Equal(100m, s.Balance(m));
    }

    // 8. track-negative3
    [Fact]
    public void Track_FreeSeatsOverThenRefunds_OverageRepaidBeforeRefill()
    {
        var s = new Scenario(F.Continuous("users"));
        var users = s.Add(Src.Lifetime("users", 5));

        s.Track("users", 8);
        AssertCurPurchUsage(s.View("users")!, cur: 0, purch: 3, usage: 8);
        Assert.Equal(-3m, s.Balance(users));

        s.Track("users", -2);
        AssertCurPurchUsage(s.View("users")!, cur: 0, purch: 1, usage: 6);

        s.Track("users", -2);
        AssertCurPurchUsage(s.View("users")!, cur: 1, purch: 0, usage: 4);
    }

    // 9. track-negative4
    [Fact]
    public void Track_FreeSeatsOverThenLargeRefund_BackToGranted()
    {
        var s = new Scenario(F.Continuous("users"));
        var users = s.Add(Src.Lifetime("users", 5));

        s.Track("users", 8);
        s.Track("users", -20);

        Assert.Equal(5m, s.Balance(users));
        Assert.Equal(0m, s.View("users")!.Usage);
    }

    // 10. track-breakdown-negative
    [Fact]
    public void Track_M100L50Ppu0OverThenRefunds_OverageRepaidFirst()
    {
        var s = new Scenario(F.Metered("messages"));
        var monthly = s.Add(Src.Monthly("messages", 100));
        var lifetime = s.Add(Src.Lifetime("messages", 50));
        var ppu = s.Add(Src.Monthly("messages", 0).Ppu());

        s.Track("messages", 180);
        Assert.Equal(-30m, s.Balance(ppu));
        AssertCurPurchUsage(s.View("messages")!, cur: 0, purch: 30, usage: 180);

        s.Track("messages", -20);
        AssertCurPurchUsage(s.View("messages")!, cur: 0, purch: 10, usage: 160);

        s.Track("messages", -20);
        AssertCurPurchUsage(s.View("messages")!, cur: 10, purch: 0, usage: 140);
        Assert.Equal(10m, s.Balance(monthly));
        Assert.Equal(0m, s.Balance(lifetime));
    }

    // 11. track-breakdown2
    [Fact]
    public void Track_M500L200_MonthlyDrainedBeforeLifetime()
    {
        var s = new Scenario(F.Metered("messages"));
        var lifetime = s.Add(Src.Lifetime("messages", 200));
        var monthly = s.Add(Src.Monthly("messages", 500));

        s.Track("messages", 100);
        Assert.Equal(400m, s.Balance(monthly));
        Assert.Equal(200m, s.Balance(lifetime));

        s.Track("messages", 450);
        Assert.Equal(0m, s.Balance(monthly));
        Assert.Equal(150m, s.Balance(lifetime));
    }

    // 12. track-breakdown-three-products
    [Fact]
    public void Track_M100M50L200_MonthliesDrainedFirst()
    {
        var s = new Scenario(F.Metered("messages"));
        var m100 = s.Add(Src.Monthly("messages", 100));
        var m50 = s.Add(Src.Monthly("messages", 50));
        var l200 = s.Add(Src.Lifetime("messages", 200));

        s.Track("messages", 120);
        Assert.Equal(230m, s.View("messages")!.Remaining);
        Assert.Equal(0m, s.Balance(m100));
        Assert.Equal(30m, s.Balance(m50));
        Assert.Equal(200m, s.Balance(l200));

        s.Track("messages", 200);
        Assert.Equal(30m, s.View("messages")!.Remaining);
        Assert.Equal(30m, s.Balance(l200));
    }

    // 13. track-breakdown5
    [Fact]
    public void Track_PrepaidM1000PpuM500_PrepaidFirstThenPpu()
    {
        var s = new Scenario(F.Metered("messages"));
        var ppu = s.Add(Src.Monthly("messages", 500).Ppu());
        var prepaid = s.Add(Src.Monthly("messages", 1000));

        s.Track("messages", 500);
        Assert.Equal(500m, s.Balance(prepaid));
        Assert.Equal(500m, s.Balance(ppu));

        s.Track("messages", 700);
        Assert.Equal(0m, s.Balance(prepaid));
        Assert.Equal(300m, s.Balance(ppu));
    }

    // 14. track-breakdown6
    [Fact]
    public void Track_PpuM500InOverageThenLifetimeAttached_LifetimeBeforeNewOverage()
    {
        var s = new Scenario(F.Metered("messages"));
        var ppu = s.Add(Src.Monthly("messages", 500).Ppu());

        s.Track("messages", 600);
        AssertCurPurchUsage(s.View("messages")!, cur: 0, purch: 100, usage: 600);

        var lifetime = s.Add(Src.Lifetime("messages", 200));
        Assert.Equal(200m, s.View("messages")!.Remaining);

        s.Track("messages", 150);
        Assert.Equal(50m, s.Balance(lifetime));
        Assert.Equal(-100m, s.Balance(ppu));

        s.Track("messages", 100);
        Assert.Equal(0m, s.Balance(lifetime));
        Assert.Equal(-150m, s.Balance(ppu));
    }

    // 15. track-expiry-order
    [Fact]
    public void Track_EqualIntervalGrantsWithExpiries_SoonerExpiryFirst()
    {
        var s = new Scenario(F.Metered("credits_feature"));
        var later = s.Add(Src.Monthly("credits_feature", 100).ExpiringIn(TimeSpan.FromDays(365)));
        var sooner = s.Add(Src.Monthly("credits_feature", 100).ExpiringIn(TimeSpan.FromDays(30)));

        s.Track("credits_feature", 60);

        Assert.Equal(40m, s.Balance(sooner));
        Assert.Equal(100m, s.Balance(later));
    }

    // 16. track-breakdown4
    [Fact]
    public void Track_M1000M500_TotalsDrop()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 1000));
        s.Add(Src.Monthly("messages", 500));

        s.Track("messages", 500);
        Assert.Equal(1000m, s.View("messages")!.Remaining);

        s.Track("messages", 800);
        Assert.Equal(200m, s.View("messages")!.Remaining);
    }

    // 17. track-credit-system2
    [Fact]
    public void Track_DecimalAtCostPointTwo_ExactCredits()
    {
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 0.2m)));
        var credits = s.Add(Src.Monthly("credits", 200));

        var r = s.Track("action1", 50.25m);

        Assert.Equal(189.95m, s.Balance(credits));
        Assert.Equal(10.05m, r.DeltaOf(credits));
    }

    // 18. track-credit-system3
    [Fact]
    public void Track_OwnBalanceThenCredits_OverflowConvertedAtCost()
    {
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 0.2m)));
        var own = s.Add(Src.Monthly("action1", 100));
        var credits = s.Add(Src.Monthly("credits", 200));

        var first = s.Track("action1", 40.5m);
        Assert.Equal(59.5m, s.Balance(own));
        Assert.Equal(200m, s.Balance(credits));
        Assert.Equal("action1", first.Balance!.FeatureId);

        var second = s.Track("action1", 80);
        Assert.Equal(0m, s.Balance(own));
        Assert.Equal(195.9m, s.Balance(credits));
        Assert.Equal(4.1m, second.DeltaOf(credits));
        Assert.Equal("action1", second.Balance!.FeatureId);
    }

    // 19. track-credit-system-all-balances
    [Fact]
    public void TrackBalances_CreditSystemDirectly_OnlyThatBalance()
    {
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 1m)));
        s.Add(Src.Monthly("action1", 10));
        s.Add(Src.Monthly("credits", 100));

        var r = s.Track("credits", 5);

        Assert.Equal("credits", r.Balance!.FeatureId);
        Assert.Equal(95m, r.Balance.Remaining);
        Assert.Equal(["credits"], r.Map.Select(m => m.FeatureId));
    }

    [Fact]
    public void TrackBalances_LinkedCreditSystemWithoutBalance_NullEntry()
    {
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 1m)));
        s.Add(Src.Monthly("action1", 10));

        var r = s.Track("action1", 5);

        Assert.Equal("action1", r.Balance!.FeatureId);
        Assert.Equal(2, r.Map.Count);
        Assert.Equal(("credits", (BalanceSummary?)null), r.Map[1]);
    }

    // 20. track-entity-breakdown1
    [Fact]
    public void Track_PerEntityBalances_EntityAndCustomerTotals()
    {
        var s = new Scenario(F.Metered("messages"));
        foreach (var e in new[] { "entity-1", "entity-2", "entity-3" })
        {
            s.Add(Src.Monthly("messages", 100).OfEntity(e));
        }

        s.Track("messages", 30, entityId: "entity-1");
        Assert.Equal(70m, s.View("messages", "entity-1")!.Remaining);
        Assert.Equal(270m, s.View("messages")!.Remaining);

        s.Track("messages", 50, entityId: "entity-2");
        Assert.Equal(50m, s.View("messages", "entity-2")!.Remaining);
        Assert.Equal(220m, s.View("messages")!.Remaining);
        Assert.Equal(80m, s.View("messages")!.Usage);
        Assert.Equal(100m, s.View("messages", "entity-3")!.Remaining);
    }

    // 21. track-breakdown-customer-and-entity-product
    [Fact]
    public void Track_CustomerAndEntityPlans_EntityBucketFirst()
    {
        var s = new Scenario(F.Metered("messages"));
        var customer = s.Add(Src.Monthly("messages", 100));
        var entity = s.Add(Src.Monthly("messages", 100).OfEntity("e1"));
        Assert.Equal(200m, s.View("messages", "e1")!.Remaining);

        s.Track("messages", 50, entityId: "e1");

        Assert.Equal(50m, s.Balance(entity));
        Assert.Equal(100m, s.Balance(customer));
        Assert.Equal(150m, s.View("messages", "e1")!.Remaining);
        Assert.Equal(150m, s.View("messages")!.Remaining);
    }

    // 23. concurrent-track5, sequentially
    [Fact]
    public void Track_PerSeatUsageLimitFiveRejectTracks_ThreeSucceed()
    {
        var s = new Scenario(F.Metered("messages"));
        var seat = s.Add(Src.Monthly("messages", 500).Ppu(maxPurchase: 100).OfEntity("seat-1"));

        var applied = Enumerable.Range(0, 5).Count(_ => s.Track("messages", 200, OverageBehavior.Reject, "seat-1").Applied);

        Assert.Equal(3, applied);
        Assert.Equal(-100m, s.Balance(seat));
        Assert.Equal(600m, s.View("messages", "seat-1")!.Usage);
    }

    // 24. track-paid1
    [Fact]
    public void Track_PrepaidTwoPlusThree_RejectSevenThenTrackFour()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 2).Prepaid(3));

        var rejected = s.Track("messages", 7, OverageBehavior.Reject);
        Assert.False(rejected.Applied);
        Assert.Equal(5m, s.Balance(m));

        s.Track("messages", 4);
        Assert.Equal(1m, s.View("messages")!.Remaining);
        Assert.Equal(4m, s.View("messages")!.Usage);
    }

    // 25. track-paid2
    [Fact]
    public void Track_PpuFiveMaxPurchaseFive_RejectTracksReachCapExactly()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 5).Ppu(maxPurchase: 5));

        Assert.True(s.Track("messages", 7, OverageBehavior.Reject).Applied);
        AssertCurPurchUsage(s.View("messages")!, cur: 0, purch: 2, usage: 7);

        Assert.True(s.Track("messages", 3, OverageBehavior.Reject).Applied);
        AssertCurPurchUsage(s.View("messages")!, cur: 0, purch: 5, usage: 10);
        Assert.Equal(-5m, s.Balance(m));

        Assert.False(s.Track("messages", 0.01m, OverageBehavior.Reject).Applied);
    }

    // 26. concurrent-track4, sequentially
    [Fact]
    public void Track_IncludedFiveLimitTenFiveRejectTracksOfThree_ThreeSucceed()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 5).Ppu(maxPurchase: 5));

        var applied = Enumerable.Range(0, 5).Count(_ => s.Track("messages", 3, OverageBehavior.Reject).Applied);

        Assert.Equal(3, applied);
        Assert.Equal(-4m, s.Balance(m));
        Assert.Equal(9m, s.View("messages")!.Usage);
    }

    // 28. track-overage-overflow1
    [Fact]
    public void Track_OverflowOnM100_NegativeUnderneathThenCheckFalseAndCapNoChange()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));

        s.Track("messages", 150, OverageBehavior.Overflow);
        Assert.Equal(-50m, s.Balance(m));
        Assert.Equal(0m, s.View("messages")!.Remaining);
        Assert.Equal(150m, s.View("messages")!.Usage);

        Assert.False(s.Check("messages").Allowed);

        var capped = s.Track("messages", 10);
        Assert.Empty(capped.Deltas);
        Assert.Equal(-50m, s.Balance(m));
    }

    // 30. concurrent-track1, sequentially
    [Fact]
    public void Track_BalanceFiveFiveTracksOfTen_AllAppliedFinalZero()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 5));

        var results = Enumerable.Range(0, 5).Select(_ => s.Track("messages", 10)).ToList();

        Assert.All(results, r => Assert.True(r.Applied));
        Assert.All(results, r => Assert.Equal(10m, r.Outcome.Event!.Value));
        Assert.Equal(0m, s.Balance(m));
        Assert.Equal(5m, s.View("messages")!.Usage);
    }

    // 31. concurrent-track2, sequentially
    [Fact]
    public void Track_FreeAllocatedOneFiveTracksOfOne_FinalMinusFour()
    {
        var s = new Scenario(F.Continuous("seats"));
        var seats = s.Add(Src.Lifetime("seats", 1));

        for (var i = 0; i < 5; i++)
        {
            s.Track("seats");
        }

        Assert.Equal(-4m, s.Balance(seats));
    }

    // 44. check-basic
    [Fact]
    public void Check_NoEntitlement_False()
    {
        var s = new Scenario(F.Metered("messages"));

        var c = s.Check("messages");

        Assert.False(c.Allowed);
        Assert.Null(c.Balance);
    }

    [Fact]
    public void Check_BooleanFlag_True()
    {
        var s = new Scenario(F.Boolean("sso"));
        var flag = s.Add(Src.Flag("sso"));

        var c = s.Check("sso");

        Assert.True(c.Allowed);
        Assert.Equal(flag.Id, c.Flag!.Id);
        Assert.Null(c.Balance);
    }

    [Fact]
    public void Check_M1000SendEvent150Then900_AllowedThenDenied()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 1000));

        var first = s.Check("messages", 150, sendEvent: true);
        Assert.True(first.Allowed);
        Assert.Equal(850m, first.Balance!.Remaining);
        Assert.Equal(850m, s.Balance(m));
        Assert.NotNull(first.Consumed!.Event);

        var second = s.Check("messages", 900, sendEvent: true);
        Assert.False(second.Allowed);
        Assert.Null(second.Consumed);
        Assert.Equal(850m, second.Balance!.Remaining);
        Assert.Equal(850m, s.Balance(m));
    }

    private static void AssertCurPurchUsage(BalanceSummary b, decimal cur, decimal purch, decimal usage)
    {
        // "cur" is the wire remaining; "purch" here is the overage (usage beyond granted).
        Assert.Equal(cur, b.Remaining);
        Assert.Equal(purch, Math.Max(0m, b.Usage - b.Granted));
        Assert.Equal(usage, b.Usage);
    }
}
