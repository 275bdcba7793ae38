namespace Tally.Core.Tests;

/// <summary>Credit systems (autumn-api.md §5.2): own balance first, then credits at the feature's credit cost.</summary>
public sealed class CreditSystemTests
{
    private static Scenario NewScenario(decimal cost) =>
        new(F.Metered("action1"), F.Metered("action2"), F.Credits("credits", ("action1", cost), ("action2", 3m)));

    [Fact]
    public void Track_FeatureInCreditSystem_DeductsValueTimesCost()
    {
        var s = NewScenario(2m);
        var credits = s.Add(Src.Monthly("credits", 100));

        var r = s.Track("action1", 10);

        Assert.Equal(80m, s.Balance(credits));
        var d = Assert.Single(r.Deltas);
        Assert.Equal(20m, d.Value);
        Assert.Equal("credits", d.FeatureId);
        Assert.Equal(10m, r.Outcome.Deductions[0].Applied);
    }

    [Fact]
    public void Track_OwnBalanceAndCredits_OwnFirstThenCredits()
    {
        var s = NewScenario(2m);
        var credits = s.Add(Src.Monthly("credits", 100));
        var own = s.Add(Src.Lifetime("action1", 5));

        s.Track("action1", 8);

        Assert.Equal(0m, s.Balance(own));
        Assert.Equal(94m, s.Balance(credits));
    }

    [Fact]
    public void Track_CreditSystemDirectly_DeductsOneToOne()
    {
        var s = NewScenario(2m);
        var credits = s.Add(Src.Monthly("credits", 100));
        s.Add(Src.Lifetime("action1", 5));

        s.Track("credits", 7);

        Assert.Equal(93m, s.Balance(credits));
    }

    [Fact]
    public void Track_ThreeTracksOfPointOneAtCostPointTwo_LeaveAnExactBalance()
    {
        var s = NewScenario(0.2m);
        var credits = s.Add(Src.Monthly("credits", 1));

        s.Track("action1", 0.1m);
        s.Track("action1", 0.1m);
        s.Track("action1", 0.1m);

        Assert.Equal(0.94m, s.Balance(credits));
        Assert.Equal(0.06m, s.View("credits")!.Usage);
    }

    [Fact]
    public void Track_ShortCreditSourceThenAnotherAtSameCost_SecondTakesExactRemainder()
    {
        // 1 unit at cost 3 = 3 credits: 1 from the first bucket, exactly 2 from the second. Dividing the
        // first take by the cost (1/3) and multiplying back must not leave 1.9999… or 2.0000…1.
        var s = NewScenario(2m);
        var first = s.Add(Src.Monthly("credits", 1));
        var second = s.Add(Src.Lifetime("credits", 10));

        var r = s.Track("action2", 1);

        Assert.Equal(0m, s.Balance(first));
        Assert.Equal(8m, s.Balance(second));
        Assert.Equal(2m, r.DeltaOf(second));
        Assert.True(r.Outcome.Deductions[0].Satisfied);
    }

    [Fact]
    public void Track_ShortCreditSourcesUnderReject_ExactFitIsAllowed()
    {
        var s = NewScenario(2m);
        var first = s.Add(Src.Monthly("credits", 1));
        var second = s.Add(Src.Lifetime("credits", 2));

        var r = s.Track("action2", 1, OverageBehavior.Reject);

        Assert.True(r.Applied);
        Assert.Equal(0m, s.Balance(first));
        Assert.Equal(0m, s.Balance(second));
    }

    [Fact]
    public void Track_CreditsWithRolloverAtCost_RolloverFirst()
    {
        var s = NewScenario(2m);
        var credits = s.Add(Src.Monthly("credits", 500));
        var roll = s.AddRollover(credits, 300, Scenario.Now.AddDays(30));

        s.Track("action1", 100);
        Assert.Equal(100m, s.Balance(roll));
        Assert.Equal(500m, s.Balance(credits));

        s.Track("action2", 100);
        Assert.Equal(0m, s.Balance(roll));
        Assert.Equal(300m, s.Balance(credits));
        Assert.Equal(300m, s.View("credits")!.Remaining);
    }

    [Fact]
    public void Track_TwoCreditSystems_SourcesOrderedBySourceRulesNotBySystem()
    {
        var s = new Scenario(
            F.Metered("action1"),
            F.Credits("a_credits", ("action1", 1m)) with { CreatedAt = F.Epoch.AddDays(2) },
            F.Credits("b_credits", ("action1", 2m)) with { CreatedAt = F.Epoch.AddDays(1) });
        var a = s.Add(Src.Monthly("a_credits", 10));
        var b = s.Add(Src.Monthly("b_credits", 10));

        s.Track("action1", 3);

        // Both monthly, so the older source wins although b_credits is the older system.
        Assert.Equal(7m, s.Balance(a));
        Assert.Equal(10m, s.Balance(b));
    }

    [Fact]
    public void TrackBalances_CreditOnlyDeduction_ShowsCreditsAndNullOwnEntry()
    {
        // autumn-api.md §9: premium_message (cost 5) with no own balance draws credits.
        var s = new Scenario(F.Metered("premium_message"), F.Credits("credits", ("premium_message", 5m)));
        s.Add(Src.Monthly("credits", 50));

        var r = s.Track("premium_message", 3);

        Assert.Equal("credits", r.Balance!.FeatureId);
        Assert.Equal(35m, r.Balance.Remaining);
        Assert.Equal(["premium_message", "credits"], r.Map.Select(m => m.FeatureId));
        Assert.Null(r.Map[0].Balance);
        Assert.Equal(35m, r.Map[1].Balance!.Remaining);
    }

    [Fact]
    public void TrackBalances_NothingDeductedFeatureInCreditSystem_ShowsFirstCreditSystem()
    {
        var s = NewScenario(2m);
        var own = s.Add(Src.Lifetime("action1", 0));

        var r = s.Track("action1", 1);

        Assert.Equal(0m, s.Balance(own));
        Assert.Null(r.Balance);
        Assert.Equal(["action1", "credits"], r.Map.Select(m => m.FeatureId));
    }
}
