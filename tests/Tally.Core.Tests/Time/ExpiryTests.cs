using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>A standalone grant past its expires_at is ignored by the waterfall, the balance view and check.</summary>
public sealed class ExpiryTests
{
    private static readonly DateTimeOffset T0 = Utc(2026, 1, 15, 10);
    private static readonly DateTimeOffset Expires = Utc(2026, 1, 20);

    private static Timeline WithExpiringGrant(bool plan)
    {
        var t = plan
            ? new Timeline([F.Metered("messages")], Plan("pro", Item("messages", 100, ResetInterval.Month)))
            : new Timeline([F.Metered("messages")]);
        if (plan)
        {
            t.Attach("pro", T0);
        }
        t.Grant(new GrantCommand { Feature = t.Catalog.Feature("messages")!, IncludedGrant = 50, ExpiresAt = Expires, BalanceId = "promo" }, T0);
        return t;
    }

    private static CheckOutcome Check(Timeline t, decimal required, DateTimeOffset at) =>
        Metering.Check(new Working(t.State), t.Catalog, t.Catalog.Feature("messages")!, null, required, at);

    [Fact]
    public void ExpiredGrant_NotACandidate_FromTheExpiryInstantOn()
    {
        var t = WithExpiringGrant(plan: true);

        Assert.Contains("promo", Waterfall.Candidates(new Working(t.State), t.Catalog, "messages", null, Expires.AddTicks(-1)).Select(c => c.Source.Id));
        Assert.DoesNotContain("promo", Waterfall.Candidates(new Working(t.State), t.Catalog, "messages", null, Expires).Select(c => c.Source.Id));
    }

    [Fact]
    public void ExpiredGrant_LeavesTheBalanceView()
    {
        var t = WithExpiringGrant(plan: true);
        t.Track("messages", 120, T0);

        var before = t.View("messages", Expires.AddTicks(-1))!;
        var after = t.View("messages", Expires)!;

        Assert.Equal((150m, 30m, 120m), (before.Granted, before.Remaining, before.Usage));
        Assert.Equal((100m, 0m, 100m), (after.Granted, after.Remaining, after.Usage));
        Assert.DoesNotContain(after.Breakdown, b => b.Source.Id == "promo");
    }

    [Fact]
    public void ExpiredGrant_OnlySource_ViewIsNull_AndCheckIsFalse()
    {
        var t = WithExpiringGrant(plan: false);

        Assert.True(Check(t, 10, Expires.AddTicks(-1)).Allowed);
        Assert.Null(t.View("messages", Expires));
        var check = Check(t, 1, Expires);
        Assert.False(check.Allowed);
        Assert.Null(check.Balance);
    }

    [Fact]
    public void ExpiredGrant_CheckNoLongerCountsIt()
    {
        var t = WithExpiringGrant(plan: true);

        Assert.True(Check(t, 150, Expires.AddTicks(-1)).Allowed);
        Assert.False(Check(t, 150, Expires).Allowed);
        Assert.True(Check(t, 100, Expires).Allowed);
    }

    [Fact]
    public void ExpiredGrant_TrackSkipsIt()
    {
        var t = WithExpiringGrant(plan: true);

        var outcome = t.Track("messages", 120, Expires);

        Assert.All(outcome.Event!.Deltas, d => Assert.NotEqual("promo", d.SourceId));
        Assert.Equal(50m, t.State.FindSource("promo")!.Balance);
        Assert.Equal(0m, t.Source("messages", ResetInterval.Month).Balance);
        t.AssertLedgerReplays();
    }

    [Fact]
    public void ExpiredFlag_IsNotGranted()
    {
        var t = new Timeline([F.Boolean("sso")]);
        t.Grant(new GrantCommand { Feature = t.Catalog.Feature("sso")!, ExpiresAt = Expires }, T0);

        Assert.True(Metering.Check(new Working(t.State), t.Catalog, t.Catalog.Feature("sso")!, null, 1, Expires.AddTicks(-1)).Allowed);
        Assert.False(Metering.Check(new Working(t.State), t.Catalog, t.Catalog.Feature("sso")!, null, 1, Expires).Allowed);
    }

    [Fact]
    public void ExpiredResettingGrant_IsNotRefilledIntoView()
    {
        var t = new Timeline([F.Metered("messages")]);
        t.Grant(new GrantCommand
        {
            Feature = t.Catalog.Feature("messages")!,
            IncludedGrant = 50,
            Reset = new ItemReset(ResetInterval.Day, 1),
            Rollover = Forever(),
            ExpiresAt = T0.AddDays(2).AddHours(1),
        }, T0);
        t.Track("messages", 20, T0);

        t.Settle(T0.AddDays(5));

        Assert.Null(t.View("messages", T0.AddDays(5)));
        Assert.False(Check(t, 1, T0.AddDays(5)).Allowed);
        t.AssertLedgerReplays();
    }
}
