namespace Tally.Core.Tests;

/// <summary>Standalone grants (PlanId null) drained to exactly zero drop out of every later read.</summary>
public sealed class StandaloneGrantTests
{
    [Fact]
    public void Track_DrainsStandaloneToZero_ResponseStillShowsIt()
    {
        var s = new Scenario(F.Metered("messages"));
        var plan = s.Add(Src.Monthly("messages", 100));
        var grant = s.Add(Src.Standalone("messages", 30));

        // Lifetime standalone comes after the monthly; drain both.
        var r = s.Track("messages", 130);

        Assert.Contains(grant.Id, r.Outcome.TouchedSources);
        Assert.Equal(130m, r.Balance!.Granted);
        Assert.Equal(130m, r.Balance.Usage);
        Assert.Equal([plan.Id, grant.Id], r.Balance.Breakdown.Select(b => b.Source.Id));
    }

    [Fact]
    public void BalanceView_AfterStandaloneDrained_GrantDisappears()
    {
        var s = new Scenario(F.Metered("messages"));
        var plan = s.Add(Src.Monthly("messages", 100));
        s.Add(Src.Standalone("messages", 30));
        s.Track("messages", 130);

        var view = s.View("messages")!;

        Assert.Equal([plan.Id], view.Breakdown.Select(b => b.Source.Id));
        Assert.Equal(100m, view.Granted);
        Assert.Equal(100m, view.Usage);
        Assert.Equal([plan.Id], s.Order("messages"));
    }

    [Fact]
    public void BalanceView_OnlyStandaloneDrained_NoBalanceAndCheckFalse()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Standalone("messages", 5).Ppu());

        var r = s.Track("messages", 5);

        Assert.Equal(5m, r.Balance!.Usage);
        Assert.Null(s.View("messages"));
        Assert.Empty(s.Order("messages"));
        var c = s.Check("messages");
        Assert.False(c.Allowed);
        Assert.Null(c.Balance);
    }

    [Fact]
    public void Track_StandaloneIntoOverage_StaysVisible()
    {
        var s = new Scenario(F.Metered("messages"));
        var grant = s.Add(Src.Standalone("messages", 5).Ppu());

        s.Track("messages", 8);

        Assert.Equal(-3m, s.Balance(grant));
        Assert.Equal([grant.Id], s.Order("messages"));
        Assert.Equal(8m, s.View("messages")!.Usage);
    }

    [Fact]
    public void Track_StandaloneInOverageRefundedToZero_Disappears()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Standalone("messages", 5).Ppu().Used(8));

        s.Track("messages", -3);

        Assert.Null(s.View("messages"));
    }

    [Fact]
    public void Track_PlanSourceDrainedToZero_NeverDrops()
    {
        var s = new Scenario(F.Metered("messages"));
        var plan = s.Add(Src.Lifetime("messages", 10));

        s.Track("messages", 10);

        Assert.Equal(0m, s.View("messages")!.Remaining);
        Assert.Equal([plan.Id], s.Order("messages"));
        Assert.False(s.Check("messages").Allowed);
        Assert.NotNull(s.Check("messages").Balance);
    }

    [Fact]
    public void Check_SendEventDrainsStandalone_ResponseStillShowsIt()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Standalone("messages", 4));

        var c = s.Check("messages", 4, sendEvent: true);

        Assert.True(c.Allowed);
        Assert.Equal(4m, c.Balance!.Granted);
        Assert.Equal(0m, c.Balance.Remaining);
        Assert.Null(s.View("messages"));
    }

    [Fact]
    public void Check_StandaloneBooleanFlag_Allowed()
    {
        // A flag has no balance: a standalone flag grant at 0 is not "drained" (looseEntitlementIsLiveSql keeps booleans).
        var s = new Scenario(F.Boolean("sso"));
        var flag = s.Add(Src.Standalone("sso", 0));

        var c = s.Check("sso");

        Assert.True(c.Allowed);
        Assert.Equal(flag.Id, c.Flag!.Id);
        Assert.Equal([flag.Id], BalanceView.Flags(s.Open(), s.Catalog, null, Scenario.Now).Select(f => f.Id));
    }
}
