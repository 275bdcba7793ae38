using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>Resets through Lifecycle.Settle on sources made by Grants.Attach: refill, next boundary, catch-up.</summary>
public sealed class ResetTests
{
    private static readonly DateTimeOffset T0 = Utc(2026, 1, 15, 10);

    private static Timeline Attached(PlanItem item, DateTimeOffset? at = null)
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", item));
        t.Attach("pro", at ?? T0);
        return t;
    }

    public static TheoryData<ResetInterval, int> Intervals => new()
    {
        { ResetInterval.Minute, 1 },
        { ResetInterval.Minute, 5 },
        { ResetInterval.Hour, 1 },
        { ResetInterval.Hour, 6 },
        { ResetInterval.Day, 1 },
        { ResetInterval.Day, 3 },
        { ResetInterval.Week, 1 },
        { ResetInterval.Week, 2 },
        { ResetInterval.Month, 1 },
        { ResetInterval.Month, 3 },
        { ResetInterval.Quarter, 1 },
        { ResetInterval.Quarter, 2 },
        { ResetInterval.SemiAnnual, 1 },
        { ResetInterval.SemiAnnual, 2 },
        { ResetInterval.Year, 1 },
        { ResetInterval.Year, 2 },
    };

    [Theory]
    [MemberData(nameof(Intervals))]
    public void Attach_SetsAnchorToAttachTime_AndFirstResetOneStepLater(ResetInterval interval, int count)
    {
        var t = Attached(Item("messages", 100, interval, count));

        var s = t.Source("messages");

        Assert.Equal(T0, s.ResetAnchor);
        Assert.Equal(Calendar.Add(T0, interval, count, 1), s.NextResetAt);
        Assert.Equal(s.NextResetAt, t.State.NextDueAt);
    }

    [Theory]
    [MemberData(nameof(Intervals))]
    public void Settle_AtTheBoundary_RefillsAndAdvancesOneStep(ResetInterval interval, int count)
    {
        var t = Attached(Item("messages", 100, interval, count));
        var first = Calendar.Add(T0, interval, count, 1);
        t.Track("messages", 30, T0);

        var before = t.Settle(first.AddTicks(-1));
        var atBoundary = t.Settle(first);

        Assert.True(before.IsEmpty);
        var s = t.Source("messages");
        Assert.Equal(100m, s.Balance);
        Assert.Equal(0m, s.Usage);
        Assert.Equal(Calendar.Add(T0, interval, count, 2), s.NextResetAt);
        Assert.Equal(T0, s.ResetAnchor);
        var reset = Assert.Single(atBoundary.Events);
        Assert.Equal(LedgerKind.Reset, reset.Kind);
        var delta = Assert.Single(reset.Deltas);
        Assert.Equal(-30m, delta.Value);
        Assert.Equal(s.NextResetAt, delta.ResetsAt);
        var view = t.View("messages", first)!;
        Assert.Equal(100m, view.Remaining);
        Assert.Equal(0m, view.Usage);
        Assert.Equal(100m, view.Granted);
        Assert.Equal(s.NextResetAt, view.NextResetAt);
        t.AssertLedgerReplays();
    }

    [Theory]
    [InlineData(ResetInterval.Month)]
    [InlineData(ResetInterval.Day)]
    [InlineData(ResetInterval.Minute)]
    [InlineData(ResetInterval.Quarter)]
    public void Track_RightAfterTheBoundary_ResetsThenDeducts_InOneUnitOfWork(ResetInterval interval)
    {
        var t = Attached(Item("messages", 100, interval));
        t.Track("messages", 30, T0);
        var after = Calendar.Add(T0, interval, 1, 1).AddSeconds(1);

        TrackOutcome? outcome = null;
        var changes = t.Run(after, w => outcome = Metering.Track(w, t.Catalog, t.Command("messages", 20, after), after));

        Assert.Equal(TrackStatus.Applied, outcome!.Status);
        Assert.Equal([LedgerKind.Reset, LedgerKind.Track], changes.Events.Select(e => e.Kind));
        var s = t.Source("messages");
        Assert.Equal(80m, s.Balance);
        Assert.Equal(Calendar.Add(T0, interval, 1, 2), s.NextResetAt);
        Assert.Equal(20m, t.View("messages", after)!.Usage);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Track_JustBeforeTheBoundary_DoesNotReset()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month));
        t.Track("messages", 30, T0);

        t.Track("messages", 20, Utc(2026, 2, 15, 9, 59, 59));

        var s = t.Source("messages");
        Assert.Equal(50m, s.Balance);
        Assert.Equal(Utc(2026, 2, 15, 10), s.NextResetAt);
    }

    [Fact]
    public void Settle_AnchorOn31May_ResetsOn30JuneThen31July()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month), Utc(2026, 5, 31, 8));
        Assert.Equal(Utc(2026, 6, 30, 8), t.Source("messages").NextResetAt);

        t.Track("messages", 10, Utc(2026, 6, 1));
        t.Settle(Utc(2026, 6, 30, 8));
        Assert.Equal(Utc(2026, 7, 31, 8), t.Source("messages").NextResetAt);

        t.Track("messages", 10, Utc(2026, 7, 1));
        t.Settle(Utc(2026, 7, 31, 8));
        Assert.Equal(Utc(2026, 8, 31, 8), t.Source("messages").NextResetAt);
        Assert.Equal(100m, t.Source("messages").Balance);
    }

    [Fact]
    public void Settle_AnchorOn31January_LeapYear_Feb29ThenMar31()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month), Utc(2028, 1, 31));
        Assert.Equal(Utc(2028, 2, 29), t.Source("messages").NextResetAt);

        t.Settle(Utc(2028, 2, 29));

        Assert.Equal(Utc(2028, 3, 31), t.Source("messages").NextResetAt);
    }

    [Fact]
    public void Settle_AfterFiveIdleMonths_RefillsOnce_AndLandsOnTheAnchorGrid()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month, rollover: Forever()));
        t.Track("messages", 30, Utc(2026, 1, 20));

        // Boundaries on 15 Feb, Mar, Apr, May and Jun passed while the customer was idle.
        var changes = t.Settle(Utc(2026, 6, 20));

        var reset = Assert.Single(changes.Events);
        Assert.Equal(LedgerKind.Reset, reset.Kind);
        var s = t.Source("messages");
        Assert.Equal(100m, s.Balance);
        Assert.Equal(Utc(2026, 7, 15, 10), s.NextResetAt);
        // One rollover, from the balance at the time of settling; the skipped periods roll nothing.
        var r = Assert.Single(t.Rollovers(s));
        Assert.Equal(70m, r.Balance);
        Assert.Equal(70m, r.Granted);
        Assert.Null(r.ExpiresAt);
        Assert.Equal(Utc(2026, 6, 20), r.CreatedAt);
        Assert.Equal(170m, t.View("messages", Utc(2026, 6, 20))!.Remaining);
        Assert.True(t.Settle(Utc(2026, 6, 20)).IsEmpty);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_AfterIdleMonths_MonthRolloverCountsFromTheOldBoundary_SoItIsAlreadyGone()
    {
        // Expiry is the old next_reset_at (15 Feb) + 1 month = 15 March: long past when the idle customer is settled.
        var t = Attached(Item("messages", 100, ResetInterval.Month, rollover: Months(1)));
        t.Track("messages", 30, Utc(2026, 1, 20));

        t.Settle(Utc(2026, 6, 20));

        var s = t.Source("messages");
        Assert.Equal(100m, s.Balance);
        Assert.Empty(t.Rollovers(s));
        Assert.Equal(100m, t.View("messages", Utc(2026, 6, 20))!.Remaining);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_AfterIdleMonths_AnchorOn31st_NextIsTheClampedMonthEnd()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month), Utc(2026, 1, 31, 12));

        t.Settle(Utc(2026, 9, 5));

        Assert.Equal(Utc(2026, 9, 30, 12), t.Source("messages").NextResetAt);
        t.Settle(Utc(2026, 9, 30, 12));
        Assert.Equal(Utc(2026, 10, 31, 12), t.Source("messages").NextResetAt);
    }

    [Fact]
    public void Settle_NowExactlyOnALaterBoundary_SkipsPastIt()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Day));

        t.Settle(T0.AddDays(4));

        Assert.Equal(T0.AddDays(5), t.Source("messages").NextResetAt);
    }

    [Fact]
    public void Settle_TwoSourcesWithDifferentIntervals_OnlyTheDueOneResets()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Day));
        t.Grant(new GrantCommand
        {
            Feature = t.Catalog.Feature("messages")!,
            IncludedGrant = 500,
            Reset = new ItemReset(ResetInterval.Month, 1),
        }, T0);
        t.Track("messages", 150, T0);
        var daily = t.Source("messages", ResetInterval.Day);
        var monthly = t.Source("messages", ResetInterval.Month);
        Assert.Equal(0m, daily.Balance);
        Assert.Equal(450m, monthly.Balance);

        t.Settle(T0.AddDays(1));

        Assert.Equal(100m, t.Source("messages", ResetInterval.Day).Balance);
        Assert.Equal(450m, t.Source("messages", ResetInterval.Month).Balance);
        Assert.Equal(T0.AddDays(2), t.State.NextDueAt);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_PrepaidQuantity_RefillsIncludedPlusPrepaid()
    {
        var item = Item("messages", 100, ResetInterval.Month) with
        {
            Price = new ItemPrice { Amount = 1m, BillingMethod = BillingMethod.Prepaid },
        };
        var t = new Timeline([F.Metered("messages")], Plan("pro", item));
        // The quantity is the total, included amount counted in (Autumn's rule): 100 included + 50 bought.
        t.Attach("pro", T0, new Dictionary<string, decimal> { ["messages"] = 150 });
        t.Track("messages", 120, T0);

        t.Settle(Utc(2026, 2, 15, 10));

        Assert.Equal(150m, t.Source("messages").Balance);
    }

    [Fact]
    public void Settle_StandaloneGrantWithFirstResetGiven_UsesItAsTheAnchor()
    {
        var t = new Timeline([F.Metered("messages")]);
        t.Grant(new GrantCommand
        {
            Feature = t.Catalog.Feature("messages")!,
            IncludedGrant = 40,
            Reset = new ItemReset(ResetInterval.Month, 1),
            NextResetAt = Utc(2026, 1, 31),
        }, Utc(2026, 1, 10));
        t.Track("messages", 40, Utc(2026, 1, 11));

        t.Settle(Utc(2026, 1, 31));

        var s = t.Source("messages");
        Assert.Equal(40m, s.Balance);
        Assert.Equal(Utc(2026, 2, 28), s.NextResetAt);
        t.Settle(Utc(2026, 2, 28));
        Assert.Equal(Utc(2026, 3, 31), t.Source("messages").NextResetAt);
    }

    [Fact]
    public void Settle_ClearsTheIncludedGrantAdjustment()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month));
        t.Track("messages", 30, T0);
        t.Run(T0, w => Assert.Equal(UpdateStatus.Updated, BalanceOps.Update(w, t.Catalog,
            new BalanceTarget("messages", null, null, null), new BalanceUpdate { IncludedGrant = 150 }, T0, t.Ids)));
        Assert.Equal(50m, t.Source("messages").Adjustment);
        Assert.Equal(150m, t.View("messages", T0)!.Granted);

        t.Settle(Utc(2026, 2, 15, 10));

        var s = t.Source("messages");
        Assert.Equal(0m, s.Adjustment);
        Assert.Equal(100m, s.Balance);
        Assert.Equal(100m, s.Granted);
        Assert.Equal(0m, s.Usage);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_ForgivesOverage_OfAUsageBasedSource()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month).Ppu());
        t.Track("messages", 140, T0);
        Assert.Equal(-40m, t.Source("messages").Balance);

        t.Settle(Utc(2026, 2, 15, 10));

        Assert.Equal(100m, t.Source("messages").Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_ForgivesOverage_OfAFreeSourceByDefault()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month));
        t.Track("messages", 140, T0, OverageBehavior.Overflow);
        Assert.Equal(-40m, t.Source("messages").Balance);

        t.Settle(Utc(2026, 2, 15, 10));

        Assert.Equal(100m, t.Source("messages").Balance);
        t.AssertLedgerReplays();
    }

    [Theory]
    [InlineData(75, 25)]
    [InlineData(100, 0)]
    [InlineData(130, -30)]
    public void Settle_PersistFreeOverage_KeepsAFreeSourcesDebt(int overage, int expected)
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month));
        t.Policy = new ResetPolicy { PersistFreeOverage = true };
        t.Track("messages", 100 + overage, T0, OverageBehavior.Overflow);

        t.Settle(Utc(2026, 2, 15, 10));

        Assert.Equal((decimal)expected, t.Source("messages").Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_PersistFreeOverage_StillForgivesBilledOverage()
    {
        var t = Attached(Item("messages", 100, ResetInterval.Month).Ppu());
        t.Policy = new ResetPolicy { PersistFreeOverage = true };
        t.Track("messages", 175, T0);

        t.Settle(Utc(2026, 2, 15, 10));

        Assert.Equal(100m, t.Source("messages").Balance);
    }

    [Fact]
    public void Settle_NeverTouchesLifetimeOrContinuousSources()
    {
        var t = new Timeline([F.Metered("messages"), F.Continuous("seats")],
            Plan("pro", new PlanItem { FeatureId = "messages", Included = 100 }, Item("seats", 5, ResetInterval.Month)));
        t.Attach("pro", T0);
        t.Track("messages", 30, T0);
        t.Track("seats", 2, T0);

        Assert.Null(t.State.NextDueAt);
        Assert.True(t.Settle(Utc(2027, 1, 1)).IsEmpty);
        Assert.Equal(70m, t.Source("messages").Balance);
        Assert.Equal(3m, t.Source("seats").Balance);
        Assert.Null(t.Source("seats").NextResetAt);
    }
}
