using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>Settle is idempotent at a given "now", and CustomerState.NextDueAt (what IsDue reads) stays exact.</summary>
public sealed class SettleIdempotencyTests
{
    private static readonly DateTimeOffset T0 = Utc(2026, 1, 15, 10);

    private static Timeline Busy()
    {
        var t = new Timeline([F.Metered("messages"), F.Metered("calls")], Plan("pro",
            Item("messages", 100, ResetInterval.Month, rollover: Months(1, max: 50)),
            Item("calls", 10, ResetInterval.Day)));
        t.Attach("pro", T0);
        t.Track("messages", 30, T0);
        t.Track("calls", 4, T0);
        t.Lock("lk", "messages", 5, T0, expiresAt: T0.AddDays(40));
        return t;
    }

    [Fact]
    public void Settle_Twice_AtTheSameNow_SecondChangesNothing()
    {
        var t = Busy();
        var now = Utc(2026, 3, 20);

        var first = t.Settle(now);
        var second = t.Settle(now);

        Assert.False(first.IsEmpty);
        Assert.True(second.IsEmpty);
        Assert.False(Lifecycle.IsDue(t.State, now));
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_TwiceInOneWorking_SecondAddsNothing()
    {
        var t = Busy();
        var now = Utc(2026, 3, 20);

        var changes = t.Run(now, w => Lifecycle.Settle(w, t.Catalog, now, t.Policy, t.Ids));

        Assert.Single(changes.Events, e => e.Kind == LedgerKind.Reset);
        Assert.Single(changes.Events, e => e.Kind == LedgerKind.Lock);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Settle_WhenNothingIsDue_ChangesNothing()
    {
        var t = Busy();

        Assert.False(Lifecycle.IsDue(t.State, T0.AddDays(1).AddTicks(-1)));
        Assert.True(t.Settle(T0.AddDays(1).AddTicks(-1)).IsEmpty);
    }

    [Fact]
    public void NextDueAt_IsTheEarliestResetRolloverOrLockExpiry()
    {
        var t = Busy();

        Assert.Equal(T0.AddDays(1), t.State.NextDueAt);
        Assert.False(Lifecycle.IsDue(t.State, T0.AddDays(1).AddTicks(-1)));
        Assert.True(Lifecycle.IsDue(t.State, T0.AddDays(1)));

        t.Settle(T0.AddDays(1));
        Assert.Equal(T0.AddDays(2), t.State.NextDueAt);
        Assert.False(Lifecycle.IsDue(t.State, T0.AddDays(1)));

        t.Settle(Utc(2026, 2, 15, 10));
        // The daily source moved to 16 Feb; the monthly to 15 March; its new rollover expires 15 March too.
        Assert.Equal(Utc(2026, 2, 16, 10), t.State.NextDueAt);
        Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
    }

    [Fact]
    public void NextDueAt_AnEarlierLockExpiry_MakesItDue()
    {
        var t = Busy();
        Assert.Equal(T0.AddDays(1), t.State.NextDueAt);

        t.Lock("soon", "calls", 1, T0, expiresAt: T0.AddMinutes(5));

        Assert.Equal(T0.AddMinutes(5), t.State.NextDueAt);
        Assert.True(Lifecycle.IsDue(t.State, T0.AddMinutes(5)));

        t.Settle(T0.AddMinutes(5));
        // Released: its receipt is kept for the retention, which ends after the next daily reset.
        Assert.Equal(T0.AddDays(1), t.State.NextDueAt);
        Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
    }

    [Fact]
    public void NextDueAt_ConfirmingTheEarliestLock_MovesIt()
    {
        var t = Busy();
        t.Lock("soon", "calls", 1, T0, expiresAt: T0.AddMinutes(5));

        t.Confirm("soon", null, T0.AddMinutes(1));

        Assert.Equal(T0.AddDays(1), t.State.NextDueAt);
        Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
    }

    [Fact]
    public void NextDueAt_MovingAResetEarlier_MakesItDue()
    {
        var t = Busy();
        var earlier = T0.AddHours(2);

        t.Run(T0, w => BalanceOps.Update(w, t.Catalog, new BalanceTarget("messages", null, null, null),
            new BalanceUpdate { NextResetAt = earlier }, T0, t.Ids));

        Assert.Equal(earlier, t.State.NextDueAt);
        var changes = t.Settle(earlier);
        Assert.Single(changes.Events);
        Assert.Equal(earlier.AddMonths(1), t.Source("messages").NextResetAt);
        Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
    }

    [Fact]
    public void NextDueAt_DeletingTheEarliestSource_FallsBackToTheNext()
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month)));
        t.Attach("pro", T0);
        t.Grant(new GrantCommand
        {
            Feature = t.Catalog.Feature("messages")!,
            IncludedGrant = 5,
            Reset = new ItemReset(ResetInterval.Hour, 1),
            BalanceId = "hourly",
        }, T0);
        Assert.Equal(T0.AddHours(1), t.State.NextDueAt);

        t.Run(T0, w => BalanceOps.Delete(w, t.Catalog, new BalanceTarget("messages", null, null, "hourly"), false, T0, t.Ids));

        Assert.Equal(Utc(2026, 2, 15, 10), t.State.NextDueAt);
    }

    [Fact]
    public void NextDueAt_IsExact_AfterEveryStepOfALongRun()
    {
        var t = Busy();
        var now = T0;
        for (var i = 0; i < 60; i++)
        {
            now = now.AddHours(17);
            t.Track("calls", 3, now);
            if (i % 7 == 0)
            {
                t.Lock($"l{i}", "messages", 1, now, expiresAt: now.AddHours(i % 3 == 0 ? 5 : 40));
            }
            if (i % 7 == 1)
            {
                // Seventeen hours on: a five-hour lock was released by time (its receipt kept), a 40-hour one is pending.
                var expected = (i - 1) % 3 == 0 ? FinalizeStatus.NotPending : FinalizeStatus.Confirmed;
                Assert.Equal(expected, t.Confirm($"l{i - 1}", 2, now));
            }
            Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
            Assert.True(t.Settle(now).IsEmpty, $"step {i}: a second settle at the same now changed something");
        }
        t.AssertLedgerReplays();
    }
}
