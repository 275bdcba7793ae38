namespace Tally.Core.Tests;

/// <summary>Check (autumn-api.md §4.2): a reject-mode dry run of the same waterfall as track.</summary>
public sealed class CheckTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(30, true)]
    [InlineData(30.0001, false)]
    [InlineData(45, false)]
    public void Check_AllowedIffRejectTrackSucceeds(double requiredValue, bool expected)
    {
        var required = (decimal)requiredValue;
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 20).Used(5));
        s.Add(Src.Lifetime("messages", 15));

        var allowed = s.Check("messages", required).Allowed;
        var applied = s.Track("messages", required, OverageBehavior.Reject).Applied;

        Assert.Equal(expected, allowed);
        Assert.Equal(allowed, applied);
    }

    [Fact]
    public void Check_WithoutSendEvent_ChangesNothing()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 20));
        var w = s.Open();

        var c = Metering.Check(w, s.Catalog, s.Feature("messages"), null, 5, Scenario.Now);

        Assert.True(c.Allowed);
        Assert.Null(c.Consumed);
        Assert.True(w.ToChanges().IsEmpty);
    }

    [Fact]
    public void Check_BooleanFlagPresent_True()
    {
        var s = new Scenario(F.Boolean("sso"));
        s.Add(Src.Flag("sso").OfEntity("e1"));

        Assert.True(s.Check("sso", entityId: "e1").Allowed);
        Assert.True(s.Check("sso").Allowed);
        Assert.False(s.Check("sso", entityId: "e2").Allowed);
    }

    [Fact]
    public void Check_BooleanFlagExpired_False()
    {
        var s = new Scenario(F.Boolean("sso"));
        s.Add(Src.Flag("sso").ExpiringIn(TimeSpan.FromSeconds(-1)));

        var c = s.Check("sso");

        Assert.False(c.Allowed);
        Assert.Null(c.Flag);
    }

    [Fact]
    public void Check_Unlimited_TrueForAnyAmount()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Unlimited("messages"));

        var c = s.Check("messages", 1_000_000_000);

        Assert.True(c.Allowed);
        Assert.True(c.Balance!.Unlimited);
    }

    [Fact]
    public void Check_NegativeRequired_True()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 10).Used(10));

        Assert.True(s.Check("messages", -5).Allowed);
    }

    [Fact]
    public void Check_NoBalance_FalseWithBalanceNull()
    {
        var s = new Scenario(F.Metered("messages"), F.Metered("other"));
        s.Add(Src.Monthly("other", 10));

        var c = s.Check("messages");

        Assert.False(c.Allowed);
        Assert.Null(c.Balance);
        Assert.Null(c.Flag);
        Assert.Equal(1m, c.RequiredBalance);
    }

    [Fact]
    public void Check_ZeroRequiredOnEmptyBalance_True()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 10).Used(10));

        Assert.True(s.Check("messages", 0).Allowed);
    }

    [Fact]
    public void Check_UsageAllowedUncapped_TrueBeyondBalance()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 10).Ppu());

        Assert.True(s.Check("messages", 1_000_000).Allowed);
    }

    [Fact]
    public void Check_UsageAllowedCapped_RemainingPlusAvailableOverage()
    {
        // 10 included, max purchase 5, 3 already in overage: 0 + (5 − 3) = 2 available.
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 10).Ppu(maxPurchase: 5).Used(13));

        Assert.True(s.Check("messages", 2).Allowed);
        Assert.False(s.Check("messages", 2.5m).Allowed);
    }

    [Fact]
    public void Check_FreeContinuous_OnlyRemainingCounts()
    {
        var s = new Scenario(F.Continuous("seats"));
        s.Add(Src.Lifetime("seats", 3));

        Assert.True(s.Check("seats", 3).Allowed);
        Assert.False(s.Check("seats", 4).Allowed);
    }

    [Fact]
    public void Check_CreditSystemShort_EchoesRequiredInCredits()
    {
        // autumn-api.md §9: premium_message costs 5 credits, 35 left, required 8 → 40 credits needed.
        var s = new Scenario(F.Metered("premium_message"), F.Credits("credits", ("premium_message", 5m)));
        s.Add(Src.Monthly("credits", 50).Used(15));

        var c = s.Check("premium_message", 8);

        Assert.False(c.Allowed);
        Assert.Equal("credits", c.FeatureId);
        Assert.Equal(40m, c.RequiredBalance);
        Assert.Equal(35m, c.Balance!.Remaining);
    }

    [Fact]
    public void Check_CreditSystemEnough_AllowedAndInCredits()
    {
        var s = new Scenario(F.Metered("premium_message"), F.Credits("credits", ("premium_message", 5m)));
        s.Add(Src.Monthly("credits", 50).Used(15));

        var c = s.Check("premium_message", 7);

        Assert.True(c.Allowed);
        Assert.Equal(35m, c.RequiredBalance);
    }

    [Fact]
    public void Check_OwnBalanceSuffices_AnsweredFromOwnFeature()
    {
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 2m)));
        s.Add(Src.Monthly("action1", 10));
        s.Add(Src.Monthly("credits", 100));

        var c = s.Check("action1", 5);

        Assert.True(c.Allowed);
        Assert.Equal("action1", c.FeatureId);
        Assert.Equal(5m, c.RequiredBalance);
    }

    [Fact]
    public void Check_OwnPlusCreditsTogetherSuffice_AllowedLikeTrack()
    {
        // 3 own + 10 credits at cost 2 (= 5 units): 8 fits only across both.
        var s = new Scenario(F.Metered("action1"), F.Credits("credits", ("action1", 2m)));
        s.Add(Src.Monthly("action1", 3));
        s.Add(Src.Monthly("credits", 10));

        var c = s.Check("action1", 8);
        var t = s.Track("action1", 8, OverageBehavior.Reject);

        Assert.True(c.Allowed);
        Assert.True(t.Applied);
    }

    [Fact]
    public void Check_EntityScoped_SeesOwnAndSharedButNotSiblings()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 5));
        s.Add(Src.Monthly("messages", 10).OfEntity("e1"));
        s.Add(Src.Monthly("messages", 100).OfEntity("e2"));

        Assert.True(s.Check("messages", 15, "e1").Allowed);
        Assert.False(s.Check("messages", 16, "e1").Allowed);
        Assert.True(s.Check("messages", 115).Allowed);
    }

    [Fact]
    public void Check_SendEventShort_NothingDeductedAndNoEvent()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 10).Ppu(maxPurchase: 2));
        var w = s.Open();

        var c = Metering.Check(w, s.Catalog, s.Feature("messages"), null, 13, Scenario.Now,
            s.Command("messages", 13, OverageBehavior.Reject));

        Assert.False(c.Allowed);
        Assert.Null(c.Consumed);
        Assert.True(w.ToChanges().IsEmpty);
        Assert.Equal(10m, s.Balance(m));
    }

    [Fact]
    public void Check_SendEventIntoAllowedOverage_ConsumesAndShowsPostDeduction()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 10).Ppu(maxPurchase: 2));

        var c = s.Check("messages", 12, sendEvent: true);

        Assert.True(c.Allowed);
        Assert.Equal(-2m, s.Balance(m));
        Assert.Equal(12m, c.Balance!.Usage);
    }
}
