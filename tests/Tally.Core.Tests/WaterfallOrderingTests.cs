namespace Tally.Core.Tests;

/// <summary>The candidate order of autumn-api.md §5.3, one rule at a time.</summary>
public sealed class WaterfallOrderingTests
{
    private static Scenario NewScenario() => new(F.Metered("messages"), F.Credits("credits", ("messages", 2m)));

    [Fact]
    public void Candidates_EntityGiven_EntityOwnedBeforeCustomerLevel()
    {
        var s = NewScenario();
        var shared = s.Add(Src.Monthly("messages", 100));
        var own = s.Add(Src.Monthly("messages", 100).OfEntity("e1"));
        s.Add(Src.Monthly("messages", 100).OfEntity("e2"));

        Assert.Equal([own.Id, shared.Id], s.Order("messages", "e1"));
    }

    [Fact]
    public void Candidates_NoEntity_CustomerLevelFirstThenEveryEntity()
    {
        var s = NewScenario();
        var e2 = s.Add(Src.Monthly("messages", 100).OfEntity("e2"));
        var e1 = s.Add(Src.Monthly("messages", 100).OfEntity("e1"));
        var shared = s.Add(Src.Lifetime("messages", 100));

        Assert.Equal([shared.Id, e1.Id, e2.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_CreditSystem_OwnFeatureBeforeCredits()
    {
        var s = NewScenario();
        var credits = s.Add(Src.Every(ResetInterval.Day, "credits", 100));
        var own = s.Add(Src.Lifetime("messages", 10));

        var order = Waterfall.Candidates(s.Open(), s.Catalog, "messages", null, Scenario.Now);

        Assert.Equal([own.Id, credits.Id], order.Select(c => c.Source.Id));
        Assert.Equal([1m, 2m], order.Select(c => c.Cost));
        Assert.Equal([true, false], order.Select(c => c.OwnFeature));
    }

    [Fact]
    public void Candidates_Unlimited_HoistedToFront()
    {
        var s = NewScenario();
        var own = s.Add(Src.Every(ResetInterval.Minute, "messages", 10));
        var unlimitedCredits = s.Add(Src.Unlimited("credits"));

        Assert.Equal([unlimitedCredits.Id, own.Id], s.Order("messages"));
    }

    [Fact]
    public void Run_UnlimitedPresent_AbsorbsWholeAmountAndSiblingsUntouched()
    {
        var s = NewScenario();
        var monthly = s.Add(Src.Monthly("messages", 100));
        var unlimited = s.Add(Src.Unlimited("messages"));

        var r = s.Track("messages", 1000);

        Assert.True(r.Applied);
        Assert.Equal(100m, s.Balance(monthly));
        Assert.Equal(1000m, r.DeltaOf(unlimited));
        Assert.Single(r.Deltas);
    }

    [Fact]
    public void Candidates_ResettingAndLifetime_ResettingFirst()
    {
        var s = NewScenario();
        var lifetime = s.Add(Src.Lifetime("messages", 100));
        var yearly = s.Add(Src.Every(ResetInterval.Year, "messages", 100));

        Assert.Equal([yearly.Id, lifetime.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_DifferentIntervals_ShorterIntervalFirst()
    {
        var s = NewScenario();
        var year = s.Add(Src.Every(ResetInterval.Year, "messages", 1));
        var semi = s.Add(Src.Every(ResetInterval.SemiAnnual, "messages", 1));
        var quarter = s.Add(Src.Every(ResetInterval.Quarter, "messages", 1));
        var twoMonths = s.Add(Src.Every(ResetInterval.Month, "messages", 1, count: 2));
        var month = s.Add(Src.Every(ResetInterval.Month, "messages", 1));
        var week = s.Add(Src.Every(ResetInterval.Week, "messages", 1));
        var day = s.Add(Src.Every(ResetInterval.Day, "messages", 1));
        var hour = s.Add(Src.Every(ResetInterval.Hour, "messages", 1));
        var minute = s.Add(Src.Every(ResetInterval.Minute, "messages", 1));

        Assert.Equal(
            [minute.Id, hour.Id, day.Id, week.Id, month.Id, twoMonths.Id, quarter.Id, semi.Id, year.Id],
            s.Order("messages"));
    }

    [Fact]
    public void Candidates_SameInterval_EarlierExpiryFirstAndNoExpiryLast()
    {
        var s = NewScenario();
        var never = s.Add(Src.Monthly("messages", 100));
        var late = s.Add(Src.Monthly("messages", 100).ExpiringIn(TimeSpan.FromDays(365)));
        var soon = s.Add(Src.Monthly("messages", 100).ExpiringIn(TimeSpan.FromDays(30)));

        Assert.Equal([soon.Id, late.Id, never.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_Expired_Excluded()
    {
        var s = NewScenario();
        s.Add(Src.Monthly("messages", 100).ExpiringIn(TimeSpan.Zero));
        var live = s.Add(Src.Monthly("messages", 100));

        Assert.Equal([live.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_AddOnAndMainPlan_MainPlanFirst()
    {
        var s = NewScenario();
        var addOn = s.Add(Src.Monthly("messages", 100).AsAddOn());
        var main = s.Add(Src.Monthly("messages", 100));

        Assert.Equal([main.Id, addOn.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_PrepaidAndUsageAllowed_PrepaidFirst()
    {
        var s = NewScenario();
        var ppu = s.Add(Src.Monthly("messages", 500).Ppu());
        var prepaid = s.Add(Src.Monthly("messages", 1000));

        Assert.Equal([prepaid.Id, ppu.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_OtherwiseEqual_OlderFirst()
    {
        var s = NewScenario();
        var older = s.Add(Src.Monthly("messages", 100));
        var newer = s.Add(Src.Monthly("messages", 100));
        var backdated = s.Add(Src.Monthly("messages", 100) with { CreatedAt = F.Epoch.AddDays(-1) });

        Assert.Equal([backdated.Id, older.Id, newer.Id], s.Order("messages"));
    }

    [Fact]
    public void Candidates_RulesInPriorityOrder_EarlierRuleWins()
    {
        // Each pair differs in two rules; the earlier rule decides.
        var s = NewScenario();
        var lifetimeOwn = s.Add(Src.Lifetime("messages", 1));
        var monthlyCredits = s.Add(Src.Monthly("credits", 1));
        var monthlyAddOn = s.Add(Src.Monthly("messages", 1).AsAddOn());
        var yearlyMain = s.Add(Src.Every(ResetInterval.Year, "messages", 1));
        var ppuSoon = s.Add(Src.Every(ResetInterval.Year, "messages", 1).Ppu().ExpiringIn(TimeSpan.FromDays(10)));

        // own before credits beats resetting-first; resetting before lifetime; month before year beats
        // main before add-on; sooner expiry beats prepaid before usage-allowed.
        Assert.Equal(
            [monthlyAddOn.Id, ppuSoon.Id, yearlyMain.Id, lifetimeOwn.Id, monthlyCredits.Id],
            s.Order("messages"));
    }

    [Fact]
    public void Candidates_DrainedStandalone_Excluded()
    {
        var s = NewScenario();
        s.Add(Src.Standalone("messages", 0));
        var plan = s.Add(Src.Monthly("messages", 0));

        Assert.Equal([plan.Id], s.Order("messages"));
    }
}
