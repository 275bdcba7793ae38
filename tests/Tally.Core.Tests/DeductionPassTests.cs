namespace Tally.Core.Tests;

/// <summary>Pass 1 (down to zero) and pass 2 (into overage) under each overage behaviour.</summary>
public sealed class DeductionPassTests
{
    [Fact]
    public void Track_CapAndShort_DropsExcessButEventKeepsRequestedValue()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100).Used(70));

        var r = s.Track("messages", 90);

        Assert.True(r.Applied);
        Assert.Equal(0m, s.Balance(m));
        Assert.Equal(90m, r.Outcome.Event!.Value);
        Assert.Equal(30m, r.DeltaOf(m));
        var d = Assert.Single(r.Outcome.Deductions);
        Assert.Equal(90m, d.Requested);
        Assert.Equal(30m, d.Applied);
        Assert.False(d.Satisfied);
        Assert.Equal(100m, r.Balance!.Usage);
        Assert.Equal(0m, r.Balance.Remaining);
    }

    [Fact]
    public void Track_RejectAndShort_WritesNothingToWorking()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 30));
        s.Add(Src.Lifetime("messages", 20));
        var w = s.Open();

        var outcome = Metering.Track(w, s.Catalog, s.Command("messages", 51, OverageBehavior.Reject), Scenario.Now);

        Assert.Equal(TrackStatus.InsufficientBalance, outcome.Status);
        Assert.Equal("messages", outcome.ShortFeatureId);
        Assert.Null(outcome.Event);
        Assert.True(w.ToChanges().IsEmpty);
    }

    [Fact]
    public void Track_RejectAndExactFit_TakesEverything()
    {
        var s = new Scenario(F.Metered("messages"));
        var a = s.Add(Src.Monthly("messages", 30));
        var b = s.Add(Src.Lifetime("messages", 20));

        var r = s.Track("messages", 50, OverageBehavior.Reject);

        Assert.True(r.Applied);
        Assert.Equal(0m, s.Balance(a));
        Assert.Equal(0m, s.Balance(b));
    }

    [Fact]
    public void Track_Overflow_FirstSourceGoesNegativeWithoutFloor()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 10));
        var capped = s.Add(Src.Lifetime("messages", 10).Ppu(maxPurchase: 5));

        var r = s.Track("messages", 100, OverageBehavior.Overflow);

        Assert.True(r.Applied);
        Assert.Equal(-80m, s.Balance(m));
        Assert.Equal(0m, s.Balance(capped));
    }

    [Fact]
    public void Track_OverflowWithOnlyUsageAllowedLeft_IgnoresMaxPurchaseFloor()
    {
        var s = new Scenario(F.Metered("messages"));
        var capped = s.Add(Src.Lifetime("messages", 10).Ppu(maxPurchase: 5));

        s.Track("messages", 100, OverageBehavior.Overflow);

        Assert.Equal(-90m, s.Balance(capped));
    }

    [Fact]
    public void Track_UsageAllowedWithMaxPurchase_StopsAtMinusMaxPurchase()
    {
        var s = new Scenario(F.Metered("messages"));
        var ppu = s.Add(Src.Monthly("messages", 10).Ppu(maxPurchase: 5));

        var r = s.Track("messages", 100);

        Assert.Equal(-5m, s.Balance(ppu));
        Assert.Equal(15m, r.Outcome.Deductions[0].Applied);
        Assert.Equal(15m, r.Balance!.Usage);
        Assert.Equal(0m, r.Balance.Remaining);
        Assert.Equal(5m, r.Balance.MaxPurchase);
        Assert.True(r.Balance.OverageAllowed);
    }

    [Fact]
    public void Track_UsageAllowedWithoutMaxPurchase_GoesNegativeWithoutFloor()
    {
        var s = new Scenario(F.Metered("messages"));
        var ppu = s.Add(Src.Monthly("messages", 10).Ppu());

        s.Track("messages", 1_000_000);

        Assert.Equal(-999_990m, s.Balance(ppu));
        Assert.Null(s.View("messages")!.MaxPurchase);
    }

    [Fact]
    public void Track_UsageAllowedCappedThenUncapped_SecondSourceTakesRest()
    {
        var s = new Scenario(F.Metered("messages"));
        var capped = s.Add(Src.Every(ResetInterval.Day, "messages", 10).Ppu(maxPurchase: 5));
        var open = s.Add(Src.Monthly("messages", 10).Ppu());

        s.Track("messages", 40);

        Assert.Equal(-5m, s.Balance(capped));
        Assert.Equal(-15m, s.Balance(open));
    }

    [Fact]
    public void Track_NotUsageAllowed_StopsAtZero()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 10).Prepaid(5));

        s.Track("messages", 40);

        Assert.Equal(0m, s.Balance(m));
    }

    [Fact]
    public void Track_FreeContinuousUnderCap_GoesNegative()
    {
        var s = new Scenario(F.Continuous("seats"));
        var seats = s.Add(Src.Lifetime("seats", 5));

        var r = s.Track("seats", 8);

        Assert.Equal(-3m, s.Balance(seats));
        Assert.Equal(0m, r.Balance!.Remaining);
        Assert.Equal(8m, r.Balance.Usage);
    }

    [Fact]
    public void Track_FreeContinuousUnderReject_IsRejected()
    {
        var s = new Scenario(F.Continuous("seats"));
        var seats = s.Add(Src.Lifetime("seats", 5));

        var r = s.Track("seats", 8, OverageBehavior.Reject);

        Assert.False(r.Applied);
        Assert.Equal(5m, s.Balance(seats));
    }

    [Fact]
    public void Track_PricedContinuousWithoutUsageAllowed_StopsAtZero()
    {
        var s = new Scenario(F.Continuous("seats"));
        var seats = s.Add(Src.Lifetime("seats", 5).Prepaid(0));

        s.Track("seats", 8);

        Assert.Equal(0m, s.Balance(seats));
    }

    [Fact]
    public void Track_FreeConsumable_StopsAtZero()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Lifetime("messages", 5));

        s.Track("messages", 8);

        Assert.Equal(0m, s.Balance(m));
    }

    [Fact]
    public void Track_PassOneDrainsAllBeforeOverage()
    {
        // M100 PPU + L50: the monthly is drawn to 0, then the lifetime, and only then the monthly goes negative.
        var s = new Scenario(F.Metered("messages"));
        var monthly = s.Add(Src.Monthly("messages", 100).Ppu());
        var lifetime = s.Add(Src.Lifetime("messages", 50));

        var r = s.Track("messages", 180);

        Assert.Equal(-30m, s.Balance(monthly));
        Assert.Equal(0m, s.Balance(lifetime));
        Assert.Equal(130m, r.DeltaOf(monthly));
        Assert.Equal(2, r.Deltas.Count);
    }

    [Fact]
    public void Track_ZeroValue_RecordsEventWithoutDeltas()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));

        var r = s.Track("messages", 0, OverageBehavior.Reject);

        Assert.True(r.Applied);
        Assert.Empty(r.Deltas);
        Assert.Equal(0m, r.Outcome.Event!.Value);
        Assert.Equal(100m, s.Balance(m));
    }

    [Fact]
    public void Track_NoBalance_RecordsEventAndBalanceNull()
    {
        var s = new Scenario(F.Metered("messages"));

        var r = s.Track("messages", 3);

        Assert.True(r.Applied);
        Assert.NotNull(r.Outcome.Event);
        Assert.Empty(r.Deltas);
        Assert.Null(r.Balance);
    }

    [Fact]
    public void Track_Rollover_DrawnBeforeMainBalanceSoonestExpiryFirst()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));
        var late = s.AddRollover(m, 50, Scenario.Now.AddDays(60));
        var soon = s.AddRollover(m, 30, Scenario.Now.AddDays(20));
        s.AddRollover(m, 40, Scenario.Now.AddDays(-1));

        var r = s.Track("messages", 60);

        Assert.Equal(0m, s.Balance(soon));
        Assert.Equal(20m, s.Balance(late));
        Assert.Equal(100m, s.Balance(m));
        Assert.Equal(
            [(soon.Id, 30m), (late.Id, 30m)],
            r.Deltas.Select(d => (d.RolloverId!, d.Value)));
        Assert.Equal(180m, r.Balance!.Granted);
        Assert.Equal(120m, r.Balance.Remaining);
    }

    [Fact]
    public void Track_AllowBehavior_NoFloorAndNoCeiling()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 10));

        s.Track("messages", 25, OverageBehavior.Allow);
        Assert.Equal(-15m, s.Balance(m));

        s.Track("messages", -40, OverageBehavior.Allow);
        Assert.Equal(25m, s.Balance(m));
    }
}
