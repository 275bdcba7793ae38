using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>
/// Locks (autumn-internals §7.2 item 43): a reservation taken by a reject-mode track, finalized by confirm (with an
/// optional override) or release, given back to the very sources it came from, and released once when it expires.
/// </summary>
public sealed class LockTests
{
    private static readonly DateTimeOffset T0 = Utc(2026, 1, 15, 10);
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    /// <summary>A monthly 100 with 85 used: remaining 15.</summary>
    private static Timeline Remaining15()
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month)));
        t.Attach("pro", T0);
        t.Track("messages", 85, T0);
        return t;
    }

    private static decimal Remaining(Timeline t, DateTimeOffset at) => t.View("messages", at)!.Remaining;

    [Fact]
    public void Lock8_ThenConfirmOverride5_Leaves10()
    {
        var t = Remaining15();

        t.Lock("lk", "messages", 8, Now);
        Assert.Equal(7m, Remaining(t, Now));
        Assert.Equal(FinalizeStatus.Confirmed, t.Confirm("lk", 5, Now));

        Assert.Equal(10m, Remaining(t, Now));
        Assert.Equal(5m, t.View("messages", Now)!.Usage - 85m);
        var held = t.State.FindLock("lk")!;
        Assert.Equal(LockStatus.Confirmed, held.Status);
        Assert.Equal(5m, held.Value);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock8_ThenConfirmOverride11_Leaves4()
    {
        var t = Remaining15();

        t.Lock("lk", "messages", 8, Now);
        t.Confirm("lk", 11, Now);

        Assert.Equal(4m, Remaining(t, Now));
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock8_ReleasedAfterAReset_NeverPushesUsageBelowZero()
    {
        var t = Remaining15();
        t.Lock("lk", "messages", 8, Now);
        var afterReset = T0.AddMonths(1).AddMinutes(1);
        t.Settle(afterReset);
        Assert.Equal(100m, Remaining(t, afterReset));

        Assert.Equal(FinalizeStatus.Released, t.Release("lk", afterReset));

        // The old period's reservation does not raise the refilled grant.
        Assert.Equal(100m, Remaining(t, afterReset));
        Assert.Equal(0m, t.View("messages", afterReset)!.Usage);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock8_ThenRelease_Restores15()
    {
        var t = Remaining15();

        t.Lock("lk", "messages", 8, Now);
        Assert.Equal(FinalizeStatus.Released, t.Release("lk", Now));

        Assert.Equal(15m, Remaining(t, Now));
        Assert.Equal(LockStatus.Released, t.State.FindLock("lk")!.Status);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock8_ThenConfirmWithoutOverride_Keeps8()
    {
        var t = Remaining15();

        t.Lock("lk", "messages", 8, Now);
        var changes = t.Run(Now, w => Locks.Confirm(w, t.Catalog, w.Lock("lk")!, null, Now, t.Ids, "fin", "{}"));

        Assert.Equal(7m, Remaining(t, Now));
        Assert.Empty(Assert.Single(changes.Events).Deltas);
    }

    [Fact]
    public void Lock8_ThenConfirmNegativeOverride_RefundsBeyondTheLock()
    {
        var t = Remaining15();

        t.Lock("lk", "messages", 8, Now);
        t.Confirm("lk", -3, Now);

        Assert.Equal(18m, Remaining(t, Now));
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_Over_TheRemaining_IsRejected_AndHoldsNothing()
    {
        var t = Remaining15();

        var outcome = t.Track("messages", 16, Now, OverageBehavior.Reject);

        Assert.Equal(TrackStatus.InsufficientBalance, outcome.Status);
        Assert.Equal(15m, Remaining(t, Now));
    }

    [Fact]
    public void Lock_FromTwoStackedGrants_SmallerOverrideGivesBackLastTakenFirst()
    {
        var t = Remaining15();
        t.Grant(new GrantCommand { Feature = t.Catalog.Feature("messages")!, IncludedGrant = 50 }, T0);
        var monthly = t.Source("messages", ResetInterval.Month);
        var lifetime = Assert.Single(t.State.SourcesOf("messages"), s => s.Interval is null);

        var held = t.Lock("lk", "messages", 20, Now);
        Assert.Equal([(monthly.Id, 15m), (lifetime.Id, 5m)], held.Deltas.Select(d => (d.SourceId, d.Value)));

        t.Confirm("lk", 12, Now);

        // 8 given back: the 5 taken last from the lifetime grant, then 3 to the monthly.
        Assert.Equal(3m, t.State.FindSource(monthly.Id)!.Balance);
        Assert.Equal(50m, t.State.FindSource(lifetime.Id)!.Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_FromTwoStackedGrants_ReleaseGivesEachItsShare()
    {
        var t = Remaining15();
        t.Grant(new GrantCommand { Feature = t.Catalog.Feature("messages")!, IncludedGrant = 50 }, T0);
        var monthly = t.Source("messages", ResetInterval.Month);
        var lifetime = Assert.Single(t.State.SourcesOf("messages"), s => s.Interval is null);
        t.Lock("lk", "messages", 20, Now);

        t.Release("lk", Now);

        Assert.Equal(15m, t.State.FindSource(monthly.Id)!.Balance);
        Assert.Equal(50m, t.State.FindSource(lifetime.Id)!.Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_FromARolloverAndTheMainBalance_SmallerOverrideGoesBackToEach()
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month, rollover: Forever())));
        t.Attach("pro", T0);
        t.Track("messages", 94, T0);
        var boundary = Utc(2026, 2, 15, 10);
        t.Settle(boundary);
        var s = t.Source("messages");
        var r = Assert.Single(t.Rollovers(s));
        Assert.Equal(6m, r.Balance);

        var held = t.Lock("lk", "messages", 8, boundary);
        Assert.Equal([(r.Id, 6m), ((string?)null, 2m)], held.Deltas.Select(d => (d.RolloverId, d.Value)));

        t.Confirm("lk", 1, boundary);

        // 7 back: the 2 taken last from the main balance, then 5 to the rollover.
        Assert.Equal(100m, t.Source("messages").Balance);
        Assert.Equal(5m, t.State.FindRollover(r.Id)!.Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_OnARollover_ReleasedAfterAReset_KeepsTheRolloverWhole()
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month, rollover: Forever())));
        t.Attach("pro", T0);
        t.Track("messages", 60, T0);
        var b1 = Utc(2026, 2, 15, 10);
        var b2 = Utc(2026, 3, 15, 10);
        t.Settle(b1);
        var r = Assert.Single(t.Rollovers(t.Source("messages")));
        t.Lock("lk", "messages", 30, b1.AddDays(1));
        t.Settle(b2);

        t.Release("lk", b2.AddDays(1));

        // The 30 goes back into the rollover it came from; it must not show as negative usage.
        Assert.Equal(40m, t.State.FindRollover(r.Id)!.Balance);
        Assert.Equal(40m, t.State.FindRollover(r.Id)!.Granted);
        var view = t.View("messages", b2.AddDays(1))!;
        Assert.Equal(0m, view.Usage);
        Assert.Equal(240m, view.Remaining);
        Assert.Equal(240m, view.Granted);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_OnACreditSystem_GivesBackInCredits()
    {
        var t = new Timeline([F.Metered("action"), F.Credits("credits", ("action", 0.5m))],
            Plan("pro", Item("credits", 100, ResetInterval.Month)));
        t.Attach("pro", T0);

        t.Lock("lk", "action", 40, Now);
        Assert.Equal(80m, t.Source("credits").Balance);
        t.Confirm("lk", 10, Now);

        Assert.Equal(95m, t.Source("credits").Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_PastItsExpiry_IsReleasedBySettleExactlyOnce()
    {
        var t = Remaining15();
        var expires = Now.AddMinutes(10);
        t.Lock("lk", "messages", 8, Now, expires);
        Assert.Equal(expires, t.State.NextDueAt);

        Assert.True(t.Settle(expires.AddTicks(-1)).IsEmpty);
        var first = t.Settle(expires);
        var second = t.Settle(expires);
        var later = t.Settle(expires.AddHours(1));

        var release = Assert.Single(first.Events);
        Assert.Equal(LedgerKind.Lock, release.Kind);
        Assert.Equal(-8m, release.Value);
        Assert.True(second.IsEmpty);
        Assert.True(later.IsEmpty);
        Assert.Equal(15m, Remaining(t, expires));
        Assert.Equal(LockStatus.Released, t.State.FindLock("lk")!.Status);
        Assert.Equal(FinalizeStatus.NotPending, t.Confirm("lk", 5, expires.AddHours(1)));
        Assert.Equal(FinalizeStatus.NotPending, t.Release("lk", expires.AddHours(1)));
        Assert.Equal(15m, Remaining(t, expires.AddHours(1)));
        Assert.Single(t.Ledger, e => e.Kind == LedgerKind.Lock);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_SettledLongAfterItsExpiry_ReleasedOnceAndDroppedInTheSameGo()
    {
        var t = Remaining15();
        var expires = Now.AddMinutes(10);
        t.Lock("lk", "messages", 8, Now, expires);

        var changes = t.Settle(expires + Locks.Retention + TimeSpan.FromHours(1));

        Assert.Equal([LedgerKind.Lock], changes.Events.Select(e => e.Kind));
        Assert.Contains("lk", changes.DeleteLocks);
        Assert.Null(t.State.FindLock("lk"));
        Assert.Equal(15m, t.Source("messages").Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void Lock_WithoutExpiry_IsNeverReleasedByTime()
    {
        var t = Remaining15();
        t.Lock("lk", "messages", 8, Now);

        t.Settle(Now.AddDays(3));

        Assert.Equal(LockStatus.Pending, t.State.FindLock("lk")!.Status);
    }

    [Fact]
    public void Finalize_ANonPendingLock_IsNotPending_AndChangesNothing()
    {
        var t = Remaining15();
        t.Lock("a", "messages", 8, Now);
        t.Lock("b", "messages", 2, Now);
        t.Confirm("a", 5, Now);
        t.Release("b", Now);
        var before = t.Source("messages").Balance;

        Assert.Equal(FinalizeStatus.NotPending, t.Confirm("a", 1, Now));
        Assert.Equal(FinalizeStatus.NotPending, t.Release("a", Now));
        Assert.Equal(FinalizeStatus.NotPending, t.Confirm("b", 1, Now));
        var again = t.Run(Now, w => Assert.Equal(FinalizeStatus.NotPending, Locks.Release(w, t.Catalog, w.Lock("b")!, Now, t.Ids)));

        Assert.True(again.IsEmpty);
        Assert.Equal(before, t.Source("messages").Balance);
        Assert.Equal(10m, before);
    }

    [Fact]
    public void Prune_DropsFinalizedLocks_AfterTheRetention()
    {
        var t = Remaining15();
        t.Lock("lk", "messages", 8, Now);
        t.Confirm("lk", 5, Now);
        Assert.Equal(Now + Locks.Retention, t.State.FindLock("lk")!.ExpiresAt);
        Assert.Equal(Now + Locks.Retention, t.State.NextDueAt);

        Assert.True(t.Settle(Now + Locks.Retention - TimeSpan.FromTicks(1)).IsEmpty);
        Assert.NotNull(t.State.FindLock("lk"));
        var pruned = t.Settle(Now + Locks.Retention);

        Assert.Equal(["lk"], pruned.DeleteLocks);
        Assert.Empty(pruned.Events);
        Assert.Null(t.State.FindLock("lk"));
        Assert.Equal(Utc(2026, 2, 15, 10), t.State.NextDueAt);
        Assert.Equal(10m, t.Source("messages").Balance);
    }

    [Fact]
    public void Prune_KeepsPendingLocks()
    {
        var t = Remaining15();
        t.Lock("lk", "messages", 8, Now);

        t.Run(Now.AddDays(2), w => Locks.Prune(w, Now.AddDays(2)), settle: false);

        Assert.Equal(LockStatus.Pending, t.State.FindLock("lk")!.Status);
    }

    [Fact]
    public void Lock_ExpiringTogetherWithARollover_IsGivenBackBeforeTheRolloverIsWrittenOff()
    {
        var t = new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month, rollover: Months(1))));
        t.Attach("pro", T0);
        t.Track("messages", 90, T0);
        var b1 = Utc(2026, 2, 15, 10);
        var b2 = Utc(2026, 3, 15, 10);
        t.Settle(b1);
        var r = Assert.Single(t.Rollovers(t.Source("messages")));
        t.Lock("lk", "messages", 4, b1.AddDays(1), expiresAt: b2);
        Assert.Equal(6m, t.State.FindRollover(r.Id)!.Balance);

        var changes = t.Settle(b2);

        // The lock gives 4 back to the rollover, which then expires with all 10.
        Assert.Equal([LedgerKind.Lock, LedgerKind.Reset], changes.Events.Select(e => e.Kind));
        Assert.Equal(10m, changes.Events[1].Deltas.Single(d => d.RolloverId == r.Id).Value);
        Assert.Null(t.State.FindRollover(r.Id));
        Assert.Equal(100m, t.Source("messages").Balance);
        t.AssertLedgerReplays();
    }
}
