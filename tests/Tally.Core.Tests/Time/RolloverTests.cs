using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>Rollover buckets made at reset: caps, trimming, expiry, drawing order and what the balance view counts.</summary>
public sealed class RolloverTests
{
    // Attached on 15 January at 10:00: boundaries on the 15th of every month at 10:00.
    private static readonly DateTimeOffset T0 = Utc(2026, 1, 15, 10);

    private static DateTimeOffset Boundary(int k) => T0.AddMonths(k);

    private static Timeline Attached(decimal included, RolloverConfig rollover)
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", included, ResetInterval.Month, rollover: rollover)));
        t.Attach("pro", T0);
        return t;
    }

    [Fact]
    public void Rollover_ByMax_ClampsTheBucket()
    {
        var t = Attached(200, Months(1, max: 100));
        t.Track("messages", 50, T0);

        t.Settle(Boundary(1));

        var s = t.Source("messages");
        var r = Assert.Single(t.Rollovers(s));
        Assert.Equal(100m, r.Balance);
        Assert.Equal(100m, r.Granted);
        Assert.Equal(200m, s.Balance);
        Assert.Equal(300m, t.View("messages", Boundary(1))!.Remaining);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Rollover_ByMaxPercentage_IsAShareOfTheAllowance()
    {
        var t = Attached(400, Months(1, pct: 25));
        t.Track("messages", 100, T0);

        t.Settle(Boundary(1));

        Assert.Equal(100m, Assert.Single(t.Rollovers(t.Source("messages"))).Balance);
    }

    [Theory]
    [InlineData(80, 80)]
    [InlineData(150, 100)]
    public void Rollover_MaxAndPercentage_TheLowerWins(int max, int expected)
    {
        var t = Attached(400, Months(1, max: max, pct: 25));

        t.Settle(Boundary(1));

        Assert.Equal((decimal)expected, Assert.Single(t.Rollovers(t.Source("messages"))).Balance);
    }

    [Fact]
    public void Cap_Arithmetic()
    {
        Assert.Null(Lifecycle.Cap(new RolloverConfig(), 400));
        Assert.Equal(100m, Lifecycle.Cap(new RolloverConfig { Max = 100 }, 400));
        Assert.Equal(100m, Lifecycle.Cap(new RolloverConfig { MaxPercentage = 25 }, 400));
        Assert.Equal(60m, Lifecycle.Cap(new RolloverConfig { Max = 60, MaxPercentage = 25 }, 400));
        Assert.Equal(0m, Lifecycle.Cap(new RolloverConfig { Max = 0 }, 400));
    }

    [Theory]
    [InlineData(250, 150, 550)]
    [InlineData(100, 300, 700)]
    public void Rollover_Autumn35_UnusedUnderTheCap(int used, int rolled, int total)
    {
        var t = Attached(400, Months(1, max: 500));
        t.Track("messages", used, T0);

        t.Settle(Boundary(1));

        Assert.Equal((decimal)rolled, t.RolloverTotal(t.Source("messages")));
        Assert.Equal((decimal)total, t.View("messages", Boundary(1))!.Remaining);
    }

    [Fact]
    public void Rollover_Autumn36_CreditSystemDrawsTheRolloverFirst()
    {
        var t = new Timeline([F.Metered("action1"), F.Metered("action2"), F.Credits("credits", ("action1", 0.2m), ("action2", 0.6m))],
            Plan("pro", Item("credits", 500, ResetInterval.Month, rollover: Months(1, max: 300))));
        t.Attach("pro", T0);
        t.Settle(Boundary(1));
        var s = t.Source("credits");
        Assert.Equal(800m, t.View("credits", Boundary(1))!.Remaining);

        t.Track("action1", 100, Boundary(1));
        Assert.Equal((280m, 780m), (t.RolloverTotal(s), t.View("credits", Boundary(1))!.Remaining));

        t.Track("action2", 400, Boundary(1));
        Assert.Equal((40m, 540m), (t.RolloverTotal(s), t.View("credits", Boundary(1))!.Remaining));

        t.Track("action1", 500, Boundary(1));
        Assert.Equal((0m, 440m), (t.RolloverTotal(s), t.View("credits", Boundary(1))!.Remaining));
        Assert.Equal(440m, t.Source("credits").Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Rollover_Uncapped_CarriesEverythingUnused()
    {
        var t = Attached(400, Months(1));
        t.Track("messages", 250, T0);

        t.Settle(Boundary(1));

        Assert.Equal(150m, Assert.Single(t.Rollovers(t.Source("messages"))).Balance);
        Assert.Equal(550m, t.View("messages", Boundary(1))!.Remaining);
    }

    [Fact]
    public void Rollover_NothingUnused_NoBucket()
    {
        var t = Attached(100, Months(1));
        t.Track("messages", 100, T0);

        t.Settle(Boundary(1));

        Assert.Empty(t.Rollovers(t.Source("messages")));
    }

    [Fact]
    public void Rollover_FromOverage_NoBucket()
    {
        var t = new Timeline([F.Metered("messages")],
            Plan("pro", Item("messages", 100, ResetInterval.Month, rollover: Months(1)).Ppu()));
        t.Attach("pro", T0);
        t.Track("messages", 130, T0);

        t.Settle(Boundary(1));

        Assert.Empty(t.Rollovers(t.Source("messages")));
        Assert.Equal(100m, t.Source("messages").Balance);
    }

    [Fact]
    public void Rollover_MonthExpiry_IsTheOldBoundaryPlusNMonths()
    {
        var t = Attached(100, Months(2));
        t.Track("messages", 40, T0);

        t.Settle(Boundary(1).AddHours(5));

        var r = Assert.Single(t.Rollovers(t.Source("messages")));
        Assert.Equal(Boundary(1).AddMonths(2), r.ExpiresAt);
        Assert.Equal(Utc(2026, 4, 15, 10), r.ExpiresAt);
    }

    [Fact]
    public void Rollover_MonthExpiry_FromAClampedBoundary_AddsCalendarMonths()
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month, rollover: Months(1))));
        t.Attach("pro", Utc(2026, 1, 31));

        t.Settle(Utc(2026, 2, 28));

        // The old next_reset_at was 28 February; one month later is 28 March.
        Assert.Equal(Utc(2026, 3, 28), Assert.Single(t.Rollovers(t.Source("messages"))).ExpiresAt);
    }

    [Fact]
    public void Rollover_MonthExpiry_IsCountedInUtc_LikeTheResets()
    {
        var t = new Timeline([F.Metered("messages")]);
        // A first reset given at 31 March 01:00 +02:00, which is 30 March 23:00 UTC.
        var first = new DateTimeOffset(2026, 3, 31, 1, 0, 0, TimeSpan.FromHours(2));
        t.Grant(new GrantCommand
        {
            Feature = t.Catalog.Feature("messages")!,
            IncludedGrant = 50,
            Reset = new ItemReset(ResetInterval.Month, 1),
            Rollover = Months(1),
            NextResetAt = first,
        }, Utc(2026, 3, 1));

        t.Settle(first);

        var next = t.Source("messages").NextResetAt;
        var expires = Assert.Single(t.Rollovers(t.Source("messages"))).ExpiresAt;
        Assert.Equal(Utc(2026, 4, 30, 23), next);
        Assert.Equal(Utc(2026, 4, 30, 23), expires);
        Assert.Equal(TimeSpan.Zero, expires!.Value.Offset);
    }

    [Fact]
    public void Rollover_Forever_HasNoExpiry()
    {
        var t = Attached(100, Forever());

        t.Settle(Boundary(1));

        Assert.Null(Assert.Single(t.Rollovers(t.Source("messages"))).ExpiresAt);
    }

    [Fact]
    public void Rollover_OverTheCap_TrimsTheOldestExpiringBucketsFirst()
    {
        var t = Attached(100, Months(3, max: 150));

        t.Settle(Boundary(1));
        var first = Assert.Single(t.Rollovers(t.Source("messages")));
        Assert.Equal(100m, first.Balance);

        t.Settle(Boundary(2));
        var two = t.Rollovers(t.Source("messages"));
        Assert.Equal([first.Id, two[1].Id], two.Select(r => r.Id));
        Assert.Equal([50m, 100m], two.Select(r => r.Balance));

        t.Settle(Boundary(3));
        var three = t.Rollovers(t.Source("messages"));
        // 50 + 100 + 100 over a cap of 150: the first (soonest to expire) goes, the second is cut to 50.
        Assert.DoesNotContain(three, r => r.Id == first.Id);
        Assert.Equal([two[1].Id, three[1].Id], three.Select(r => r.Id));
        Assert.Equal([50m, 100m], three.Select(r => r.Balance));
        Assert.Equal(150m, t.RolloverTotal(t.Source("messages")));
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Rollover_ForeverWithMax_NeverExceedsMaxOverManyCycles()
    {
        var t = Attached(100, Forever(max: 120));

        for (var k = 1; k <= 6; k++)
        {
            t.Track("messages", 10 * k, Boundary(k - 1).AddDays(1));
            t.Settle(Boundary(k));
            Assert.True(t.RolloverTotal(t.Source("messages")) <= 120m);
        }

        Assert.Equal(120m, t.RolloverTotal(t.Source("messages")));
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Rollover_TrimmedBucket_DoesNotCountAsUsage()
    {
        var t = Attached(100, Months(3, max: 150));
        t.Settle(Boundary(1));

        t.Settle(Boundary(2));

        // Nothing was used in the new period: what the cap cut is gone, not used.
        var view = t.View("messages", Boundary(2))!;
        Assert.Equal(250m, view.Remaining);
        Assert.Equal(0m, view.Usage);
        Assert.Equal(250m, view.Granted);
        Assert.Equal(view.Granted - view.Usage, view.Remaining);
    }

    [Fact]
    public void Rollover_IsDrawnBeforeTheMainBalance_SoonestExpiryFirst()
    {
        var t = Attached(100, Months(3));
        t.Track("messages", 60, T0);
        t.Settle(Boundary(1));
        t.Track("messages", 10, Boundary(1));
        t.Settle(Boundary(2));
        var s = t.Source("messages");
        var older = t.Rollovers(s)[0];
        var newer = t.Rollovers(s)[1];
        // The 10 tracked in period 2 came out of the first rollover, not the refilled main balance.
        Assert.Equal((30m, Boundary(1).AddMonths(3)), (older.Balance, older.ExpiresAt));
        Assert.Equal((100m, Boundary(2).AddMonths(3)), (newer.Balance, newer.ExpiresAt));

        var outcome = t.Track("messages", 50, Boundary(2).AddDays(1));

        Assert.Equal(0m, t.State.FindRollover(older.Id)!.Balance);
        Assert.Equal(80m, t.State.FindRollover(newer.Id)!.Balance);
        Assert.Equal(100m, t.Source("messages").Balance);
        var deltas = outcome.Event!.Deltas;
        Assert.Equal([(older.Id, 30m), (newer.Id, 20m)], deltas.Select(d => (d.RolloverId!, d.Value)));
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Rollover_PastItsExpiry_IsIgnoredBeforeSettle_AndRemovedBySettle()
    {
        var t = Attached(100, Months(1));
        var s = t.Source("messages");
        t.Track("messages", 60, T0);
        t.Settle(Boundary(1));
        var r = Assert.Single(t.Rollovers(s));
        Assert.Equal(Boundary(2), r.ExpiresAt);
        Assert.Equal(140m, t.View("messages", Boundary(2).AddTicks(-1))!.Remaining);

        // At the expiry instant, before anything is settled, reads and deductions no longer see it.
        var view = t.View("messages", Boundary(2))!;
        Assert.Equal(100m, view.Remaining);
        Assert.Equal(100m, view.Granted);
        Assert.Empty(view.Rollovers);
        TrackOutcome? outcome = null;
        t.Run(Boundary(2), w => outcome = Metering.Track(w, t.Catalog, t.Command("messages", 5, Boundary(2)), Boundary(2)), settle: false);
        Assert.All(outcome!.Event!.Deltas, d => Assert.Null(d.RolloverId));
        Assert.Equal(40m, t.State.FindRollover(r.Id)!.Balance);

        var settled = t.Settle(Boundary(2));

        Assert.Contains(r.Id, settled.DeleteRollovers);
        Assert.Null(t.State.FindRollover(r.Id));
        var writeOff = Assert.Single(settled.Events).Deltas.Single(d => d.RolloverId == r.Id);
        Assert.Equal(40m, writeOff.Value);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void BalanceView_CountsLiveRollovers_InGrantedRemainingAndUsage()
    {
        var t = Attached(100, Forever());
        t.Track("messages", 60, T0);
        t.Settle(Boundary(1));

        t.Track("messages", 50, Boundary(1).AddDays(1));

        // Rollover 40 (all used) + main 100 (10 used).
        var view = t.View("messages", Boundary(1).AddDays(1))!;
        Assert.Equal(140m, view.Granted);
        Assert.Equal(90m, view.Remaining);
        Assert.Equal(50m, view.Usage);
        var rv = Assert.Single(view.Rollovers);
        Assert.Equal((40m, 0m, (DateTimeOffset?)null), (rv.Granted, rv.Balance, rv.ExpiresAt));
    }

    [Fact]
    public void BalanceView_AfterTheNextReset_ShowsNoUsageFromEarlierPeriods()
    {
        var t = Attached(100, Forever());
        t.Track("messages", 60, T0);
        t.Settle(Boundary(1));
        // Period 2 spends the whole 40 rollover and 10 of the main balance.
        t.Track("messages", 50, Boundary(1).AddDays(1));

        t.Settle(Boundary(2));

        var view = t.View("messages", Boundary(2))!;
        Assert.Equal(0m, view.Usage);
        Assert.Equal(190m, view.Remaining);
        Assert.Equal(190m, view.Granted);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void BalanceView_PartlyUsedRolloverSurvivingAReset_StartsTheNewPeriodUnused()
    {
        var t = Attached(100, Months(3));
        t.Track("messages", 60, T0);
        t.Settle(Boundary(1));
        t.Track("messages", 30, Boundary(1).AddDays(1));

        t.Settle(Boundary(2));

        // Rollover of period 1 holds 10 (30 of its 40 used in period 2), period 2 rolled 100.
        var view = t.View("messages", Boundary(2))!;
        Assert.Equal(210m, view.Remaining);
        Assert.Equal(0m, view.Usage);
        Assert.Equal(210m, view.Granted);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Rollover_CheckSeesIt_AndStopsSeeingItAtExpiry()
    {
        var t = Attached(100, Months(1));
        t.Track("messages", 60, T0);
        t.Settle(Boundary(1));

        var before = Metering.Check(new Working(t.State), t.Catalog, t.Catalog.Feature("messages")!, null, 130, Boundary(1).AddDays(1));
        var after = Metering.Check(new Working(t.State), t.Catalog, t.Catalog.Feature("messages")!, null, 130, Boundary(2));

        Assert.True(before.Allowed);
        Assert.False(after.Allowed);
    }
}
