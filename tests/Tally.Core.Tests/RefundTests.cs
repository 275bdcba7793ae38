namespace Tally.Core.Tests;

/// <summary>Negative values (autumn-api.md §5.5): overage is paid back first, then sources refill up to granted.</summary>
public sealed class RefundTests
{
    [Fact]
    public void Track_Refund_PaysOverageBackBeforeRefilling()
    {
        // Monthly prepaid drained, PPU in overage: the refund goes to the PPU debt first even though the
        // prepaid source comes first in order.
        var s = new Scenario(F.Metered("messages"));
        var prepaid = s.Add(Src.Monthly("messages", 100).Used(100));
        var ppu = s.Add(Src.Monthly("messages", 50).Ppu().Used(80));

        var r = s.Track("messages", -40);

        Assert.Equal(10m, s.Balance(prepaid));
        Assert.Equal(0m, s.Balance(ppu));
        Assert.Equal(-10m, r.DeltaOf(prepaid));
        Assert.Equal(-30m, r.DeltaOf(ppu));
    }

    [Fact]
    public void Track_Refund_RefillsInOrderUpToGrantedNeverAbove()
    {
        var s = new Scenario(F.Metered("messages"));
        var monthly = s.Add(Src.Monthly("messages", 100).Used(10));
        var lifetime = s.Add(Src.Lifetime("messages", 50).Used(50));

        var r = s.Track("messages", -200);

        Assert.True(r.Applied);
        Assert.Equal(100m, s.Balance(monthly));
        Assert.Equal(50m, s.Balance(lifetime));
        Assert.Equal(60m, -r.Outcome.Deductions[0].Applied);
    }

    [Fact]
    public void Track_RefundUnderOverflow_RisesAboveGranted()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100).Used(10));

        s.Track("messages", -50, OverageBehavior.Overflow);

        Assert.Equal(140m, s.Balance(m));
    }

    [Fact]
    public void Track_Refund_AdjustmentRaisesTheCeiling()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100).Used(40) with { Adjustment = 10 });

        s.Track("messages", -100);

        Assert.Equal(110m, s.Balance(m));
    }

    [Fact]
    public void Track_Refund_RolloversAreNotRefilled()
    {
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100));
        var roll = s.AddRollover(m, 50, Scenario.Now.AddDays(30));
        s.Track("messages", 70);
        Assert.Equal(0m, s.Balance(roll));
        Assert.Equal(80m, s.Balance(m));

        var r = s.Track("messages", -70);

        Assert.Equal(0m, s.Balance(roll));
        Assert.Equal(100m, s.Balance(m));
        Assert.DoesNotContain(r.Deltas, d => d.RolloverId is not null);
    }

    [Fact]
    public void Track_RefundUnderReject_IsAppliedAndExcessDropped()
    {
        // Autumn rejects only a positive remainder; a refund with no room left is dropped, as under cap,
        // which keeps "check of a negative amount is allowed" equal to "a reject track of it succeeds".
        var s = new Scenario(F.Metered("messages"));
        var m = s.Add(Src.Monthly("messages", 100).Used(10));

        var r = s.Track("messages", -30, OverageBehavior.Reject);

        Assert.True(r.Applied);
        Assert.Equal(100m, s.Balance(m));
        Assert.Equal(-10m, r.DeltaOf(m));
    }

    [Fact]
    public void Track_RefundOnCreditSystem_RestoresCreditsAtCost()
    {
        var s = new Scenario(F.Metered("action"), F.Credits("credits", ("action", 0.5m)));
        var credits = s.Add(Src.Monthly("credits", 100).Used(20));

        var r = s.Track("action", -10);

        Assert.Equal(85m, s.Balance(credits));
        Assert.Equal(-5m, r.DeltaOf(credits));
    }
}
