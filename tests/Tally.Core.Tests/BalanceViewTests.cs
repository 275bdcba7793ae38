namespace Tally.Core.Tests;

/// <summary>The wire balance sums of autumn-api.md §3.5.</summary>
public sealed class BalanceViewTests
{
    [Fact]
    public void For_StackedSources_SumsGrantedRemainingUsage()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100).Used(30));
        s.Add(Src.Lifetime("messages", 50).Prepaid(20).Used(10));

        var b = s.View("messages")!;

        Assert.Equal(170m, b.Granted);
        Assert.Equal(130m, b.Remaining);
        Assert.Equal(40m, b.Usage);
        Assert.False(b.OverageAllowed);
        Assert.Null(b.MaxPurchase);
        Assert.Equal(2, b.Breakdown.Count);
        Assert.Equal(20m, b.Breakdown[1].PrepaidGrant);
    }

    [Fact]
    public void For_SourceInOverage_RemainingClampedAndUsageAboveGranted()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100).Ppu(maxPurchase: 50).Used(130));
        s.Add(Src.Lifetime("messages", 10));

        var b = s.View("messages")!;

        Assert.Equal(110m, b.Granted);
        Assert.Equal(10m, b.Remaining);
        Assert.Equal(130m, b.Usage);
        Assert.True(b.OverageAllowed);
        Assert.Equal(50m, b.MaxPurchase);
        Assert.Equal(0m, b.Breakdown[0].Remaining);
    }

    [Fact]
    public void For_CappedAndUncappedUsageAllowed_MaxPurchaseNull()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100).Ppu(maxPurchase: 50));
        s.Add(Src.Lifetime("messages", 10).Ppu());

        Assert.Null(s.View("messages")!.MaxPurchase);
    }

    [Fact]
    public void For_TwoCappedUsageAllowed_MaxPurchaseSummed()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100).Ppu(maxPurchase: 50));
        s.Add(Src.Lifetime("messages", 10).Ppu(maxPurchase: 7));

        Assert.Equal(57m, s.View("messages")!.MaxPurchase);
    }

    [Fact]
    public void For_Resets_EarliestNextResetAtAndNullForLifetimeOnly()
    {
        var s = new Scenario(F.Metered("messages"), F.Metered("storage"));
        s.Add(Src.Every(ResetInterval.Year, "messages", 1));
        s.Add(Src.Every(ResetInterval.Day, "messages", 1));
        s.Add(Src.Lifetime("storage", 1));

        Assert.Equal(Scenario.Now.AddDays(1), s.View("messages")!.NextResetAt);
        Assert.Null(s.View("storage")!.NextResetAt);
    }

    [Fact]
    public void For_Unlimited_ZeroedTotalsWithTrackedUsage()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100).Ppu(maxPurchase: 5));
        s.Add(Src.Unlimited("messages"));
        s.Track("messages", 42);

        var b = s.View("messages")!;

        Assert.True(b.Unlimited);
        Assert.Equal(0m, b.Granted);
        Assert.Equal(0m, b.Remaining);
        Assert.Equal(42m, b.Usage);
        Assert.False(b.OverageAllowed);
        Assert.Null(b.MaxPurchase);
        Assert.Null(b.NextResetAt);
    }

    [Fact]
    public void For_Entity_SeesOwnAndSharedNotSiblings()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.Add(Src.Monthly("messages", 10).OfEntity("e1"));
        s.Add(Src.Monthly("messages", 1).OfEntity("e2"));

        Assert.Equal(110m, s.View("messages", "e1")!.Granted);
        Assert.Equal(111m, s.View("messages")!.Granted);
    }

    [Fact]
    public void For_Rollovers_CountedInGrantedRemainingAndUsage()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 400));
        s.AddRollover(m, 150, Scenario.Now.AddDays(30));
        s.Track("messages", 100);

        var b = s.View("messages")!;

        Assert.Equal(550m, b.Granted);
        Assert.Equal(450m, b.Remaining);
        Assert.Equal(100m, b.Usage);
        var r = Assert.Single(b.Rollovers);
        Assert.Equal(50m, r.Balance);
    }

    [Fact]
    public void For_BooleanFeature_Null()
    {
        var s = new Scenario(F.Boolean("sso"));
        s.Add(Src.Flag("sso"));

        Assert.Null(s.View("sso"));
    }

    [Fact]
    public void TrackBalances_UnlimitedCredits_WinsOverDeductedFeature()
    {
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 2m)));
        s.Add(Src.Monthly("action1", 10));
        s.Add(Src.Unlimited("credits"));

        var r = s.Track("action1", 3);

        Assert.Equal("credits", r.Balance!.FeatureId);
        Assert.True(r.Balance.Unlimited);
    }
}
