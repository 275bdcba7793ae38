namespace Tally.Core.Tests.Controls;

/// <summary>billing_controls decided inside the deduction: usage windows, overage, spend limits, alerts, limit notifications.</summary>
public sealed class ControlsTests
{
    private static readonly DateTimeOffset Now = Scenario.Now;

    private const string DailyTen = """{"usage_limits":[{"feature_id":"messages","enabled":true,"limit":10,"interval":"day","anchor":"utc"}]}""";

    [Fact]
    public void Track_UsageLimitWindowFull_RefusedWhateverBalanceRemains()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls(DailyTen);

        Assert.Equal(4m, s.TrackAt(Now, "messages", 4).Outcome.Applied());
        Assert.Equal(4m, s.TrackAt(Now, "messages", 4).Outcome.Applied());
        // Under cap the window takes what fits and drops the rest, like any other leftover.
        Assert.Equal(2m, s.TrackAt(Now, "messages", 4).Outcome.Applied());
        var refused = s.TrackAt(Now, "messages", 1);

        Assert.Equal(TrackStatus.UsageLimitExceeded, refused.Outcome.Status);
        Assert.True(refused.Changes.IsEmpty);
        Assert.False(s.CheckAt(Now, "messages", 1));
        Assert.Equal(90m, s.View("messages")!.Remaining);
    }

    [Fact]
    public void Track_NextUtcDay_WindowRolls()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls(DailyTen);
        s.TrackAt(Now, "messages", 10);

        var midnight = new DateTimeOffset(Now.Year, Now.Month, Now.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1);

        Assert.False(s.CheckAt(midnight.AddTicks(-1), "messages", 1));
        Assert.True(s.CheckAt(midnight, "messages", 10));
        Assert.Equal(TrackStatus.Applied, s.TrackAt(midnight, "messages", 10).Outcome.Status);
    }

    [Fact]
    public void Track_RejectBeyondRoom_UsageLimitExceededAndNothingWritten()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls(DailyTen);
        s.TrackAt(Now, "messages", 7);

        var (outcome, changes) = s.TrackAt(Now, "messages", 4, OverageBehavior.Reject);

        Assert.Equal(TrackStatus.UsageLimitExceeded, outcome.Status);
        Assert.True(changes.IsEmpty);
        Assert.False(s.CheckAt(Now, "messages", 4));
        Assert.True(s.CheckAt(Now, "messages", 3));
    }

    [Fact]
    public void Track_Overflow_IgnoresUsageWindows()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls(DailyTen);

        Assert.Equal(25m, s.TrackAt(Now, "messages", 25, OverageBehavior.Overflow).Outcome.Applied());
    }

    [Fact]
    public void Track_FilteredLimit_CountsAndCapsOnlyMatchingEvents()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls("""{"usage_limits":[{"feature_id":"messages","limit":5,"interval":"day","anchor":"utc","filter":{"properties":{"model":"big"}}}]}""");

        s.TrackAt(Now, "messages", 5, properties: """{"model":"big","x":1}""");

        Assert.Equal(TrackStatus.UsageLimitExceeded, s.TrackAt(Now, "messages", 1, properties: """{"model":"big"}""").Outcome.Status);
        Assert.Equal(20m, s.TrackAt(Now, "messages", 20, properties: """{"model":"small"}""").Outcome.Applied());
        Assert.Equal(20m, s.TrackAt(Now, "messages", 20).Outcome.Applied());
    }

    [Fact]
    public void Track_FillingWindow_RaisesUsageLimitReachedOnce()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls(DailyTen);

        var first = s.TrackAt(Now, "messages", 6).Changes.Notifications;
        var filling = s.TrackAt(Now, "messages", 6).Changes.Notifications;

        Assert.Empty(first);
        var reached = Assert.IsType<LimitReached>(Assert.Single(filling));
        Assert.Equal("usage_limit", reached.LimitType);
        Assert.Equal("messages", reached.FeatureId);
    }

    [Fact]
    public void Track_EntityLimit_BindsOnlyThatEntity_CustomerLimitBindsAll()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls("""{"usage_limits":[{"feature_id":"messages","limit":8,"interval":"month","anchor":"utc"}]}""");
        s.AddEntity("e1", """{"usage_limits":[{"feature_id":"messages","limit":3,"interval":"week","anchor":"utc"}]}""");
        s.AddEntity("e2", "{}");

        Assert.Equal(3m, s.TrackAt(Now, "messages", 5, entityId: "e1").Outcome.Applied());
        Assert.Equal(5m, s.TrackAt(Now, "messages", 9, entityId: "e2").Outcome.Applied());
        Assert.Equal(TrackStatus.UsageLimitExceeded, s.TrackAt(Now, "messages", 1).Outcome.Status);
    }

    [Fact]
    public void Track_OverageAllowedEnabled_FreeSourceGoesNegative()
    {
        var s = new Scenario(F.Metered("messages"));
        var src = s.Add(Src.Monthly("messages", 10));
        s.SetControls("""{"overage_allowed":[{"feature_id":"messages","enabled":true}]}""");

        s.TrackAt(Now, "messages", 15);

        Assert.Equal(-5m, s.Balance(src));
        Assert.True(s.CheckAt(Now, "messages", 100));
    }

    [Fact]
    public void Track_OverageAllowedDisabled_PricedSourceStopsAtZero()
    {
        var s = new Scenario(F.Metered("messages"));
        var src = s.Add(Src.Monthly("messages", 10).Ppu());
        s.SetControls("""{"overage_allowed":[{"feature_id":"messages","enabled":false}]}""");

        s.TrackAt(Now, "messages", 15);

        Assert.Equal(0m, s.Balance(src));
        Assert.False(s.CheckAt(Now, "messages", 1));
    }

    [Fact]
    public void Track_EntityDisablesOverage_MostRestrictiveWins()
    {
        var s = new Scenario(F.Metered("messages"));
        var src = s.Add(Src.Monthly("messages", 10).OfEntity("e1"));
        s.SetControls("""{"overage_allowed":[{"feature_id":"messages","enabled":true}]}""");
        s.AddEntity("e1", """{"overage_allowed":[{"feature_id":"messages","enabled":false}]}""");

        s.TrackAt(Now, "messages", 15, entityId: "e1");

        Assert.Equal(0m, s.Balance(src));
    }

    [Fact]
    public void Track_AbsoluteSpendLimit_CapsOverageAndRaisesOnce()
    {
        var s = new Scenario(F.Metered("messages"));
        var src = s.Add(Src.Monthly("messages", 100).Ppu());
        s.SetControls("""{"spend_limits":[{"feature_id":"messages","enabled":true,"overage_limit":20}]}""");

        var (outcome, changes) = s.TrackAt(Now, "messages", 150);
        var after = s.TrackAt(Now, "messages", 1);

        Assert.Equal(120m, outcome.Applied());
        Assert.Equal(-20m, s.Balance(src));
        Assert.Contains(changes.Notifications, n => n is LimitReached { LimitType: "spend_limit" });
        Assert.Contains(changes.Notifications, n => n is LimitReached { LimitType: "included" });
        Assert.Equal(0m, after.Outcome.Applied());
        Assert.Empty(after.Changes.Notifications);
        Assert.False(s.CheckAt(Now, "messages", 1));
    }

    [Fact]
    public void Track_PercentageSpendLimit_OverageIsShareOfGranted()
    {
        var s = new Scenario(F.Metered("messages"));
        var src = s.Add(Src.Monthly("messages", 100).Ppu());
        s.SetControls("""{"spend_limits":[{"feature_id":"messages","limit_type":"usage_percentage","overage_limit":120}]}""");

        s.TrackAt(Now, "messages", 210);
        s.TrackAt(Now, "messages", 10);

        Assert.Equal(-120m, s.Balance(src));
        Assert.Equal(TrackStatus.InsufficientBalance, s.TrackAt(Now, "messages", 1, OverageBehavior.Reject).Outcome.Status);
    }

    [Fact]
    public void Track_MaxPurchaseReached_RaisesOncePerCrossing()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 10).Ppu(maxPurchase: 5));

        var reaching = s.TrackAt(Now, "messages", 20).Changes.Notifications;
        var again = s.TrackAt(Now, "messages", 1).Changes.Notifications;

        Assert.Contains(reaching, n => n is LimitReached { LimitType: "max_purchase" });
        Assert.Empty(again);
    }

    [Fact]
    public void Track_IncludedReached_RaisedWhenFeatureRunsOutNotPerGrant()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 5));
        s.Add(Src.Lifetime("messages", 5));

        var first = s.TrackAt(Now, "messages", 5).Changes.Notifications;
        var second = s.TrackAt(Now, "messages", 5).Changes.Notifications;
        var third = s.TrackAt(Now, "messages", 5).Changes.Notifications;

        Assert.Empty(first);
        Assert.Equal("included", Assert.IsType<LimitReached>(Assert.Single(second)).LimitType);
        Assert.Empty(third);
    }

    [Fact]
    public void Track_UsageAlert_FiresOncePerPeriodAndAgainAfterReset()
    {
        var s = new Scenario(F.Metered("messages"));
        var src = s.Add(Src.Monthly("messages", 100));
        s.SetControls("""{"usage_alerts":[{"feature_id":"messages","threshold":50,"threshold_type":"usage_percentage","name":"half"}]}""");

        var crossing = s.TrackAt(Now, "messages", 60).Changes.Notifications;
        s.TrackAt(Now, "messages", -30);
        var recrossing = s.TrackAt(Now, "messages", 30).Changes.Notifications;

        var alert = Assert.IsType<UsageAlertTriggered>(Assert.Single(crossing));
        Assert.Equal("half", alert.AlertName);
        Assert.Equal(50m, alert.Threshold);
        Assert.Empty(recrossing);

        // A reset opens a new period: the same crossing fires again.
        var reset = s.State.FindSource(src.Id)! with { Balance = 100, NextResetAt = src.NextResetAt!.Value.AddMonths(1) };
        var changes = new CustomerChanges { NextSeq = s.State.NextSeq };
        changes.UpsertSources.Add(reset);
        s.State.Apply(changes);
        Assert.Single(s.TrackAt(Now, "messages", 60).Changes.Notifications.OfType<UsageAlertTriggered>());
    }

    [Fact]
    public void Track_RemainingAlert_FiresWhenRemainingDropsToThreshold()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));
        s.SetControls("""{"usage_alerts":[{"feature_id":"messages","threshold":10,"threshold_type":"remaining"}]}""");

        Assert.Empty(s.TrackAt(Now, "messages", 89).Changes.Notifications);
        Assert.Single(s.TrackAt(Now, "messages", 1).Changes.Notifications.OfType<UsageAlertTriggered>());
    }

    [Fact]
    public void Track_NoControls_NothingResolved()
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 100));

        Assert.Null(Tally.Core.Engine.Controls.Resolve(s.Open(), s.Catalog, null, Now));
        Assert.Equal(TrackStatus.Applied, s.TrackAt(Now, "messages", 5).Outcome.Status);
    }
}
