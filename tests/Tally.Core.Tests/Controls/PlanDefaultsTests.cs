using System.Text.Json;

namespace Tally.Core.Tests.Controls;

/// <summary>
/// Plan-level default billing controls: the subject's own entry shadows a plan's for the same identity, the most
/// restrictive plan entry wins among the plans held, and only plans held right now count.
/// </summary>
public sealed class PlanDefaultsTests
{
    private static readonly DateTimeOffset Now = Scenario.Now;

    private static BillingControls Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return BillingControls.Parse(doc.RootElement).Controls!;
    }

    private static UsageLimit Limit(decimal limit, ControlWindow window, bool enabled = true, bool cycle = true) =>
        new("messages", enabled, limit, window, cycle, null);

    /// <summary>A customer on <c>messages</c> monthly, with one attachment per plan (controls JSON), started in order.</summary>
    private static (Scenario Scenario, Catalog Catalog) Held(params (string Controls, AttachmentStatus Status)[] plans)
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Monthly("messages", 1000).Ppu());
        var changes = new CustomerChanges { NextSeq = s.State.NextSeq };
        var defs = new List<Plan>();
        for (var i = 0; i < plans.Length; i++)
        {
            defs.Add(new Plan { Id = $"plan_{i}", Name = $"Plan {i}", BillingControlsJson = plans[i].Controls, CreatedAt = F.Epoch });
            changes.UpsertPlans.Add(new CustomerPlan
            {
                Id = $"cp_{i}",
                PlanId = $"plan_{i}",
                Status = plans[i].Status,
                StartedAt = plans[i].Status == AttachmentStatus.Active ? F.Epoch.AddDays(i) : Now.AddDays(3),
                Recurring = true,
                AddOn = i > 0,
            });
        }
        s.State.Apply(changes);
        return (s, new Catalog(s.Catalog.Features, defs));
    }

    private static TrackOutcome Track(Scenario s, Catalog catalog, decimal value, OverageBehavior behavior = OverageBehavior.Cap)
    {
        var w = s.Open();
        var outcome = Metering.Track(w, catalog, s.Command("messages", value, behavior) with { Timestamp = Now }, Now);
        s.State.Apply(w.ToChanges());
        return outcome;
    }

    private static bool Check(Scenario s, Catalog catalog, decimal required) =>
        Metering.Check(s.Open(), catalog, s.Feature("messages"), null, required, Now).Allowed;

    [Fact]
    public void Inherit_OwnEntryShadowsThePlans_PlanFillsTheOtherIdentities()
    {
        var own = Parse("""{"usage_limits":[{"feature_id":"messages","limit":50,"interval":"day"}]}""");
        var plan = Parse("""
            {"usage_limits":[{"feature_id":"messages","limit":5,"interval":"day"},{"feature_id":"tokens","limit":9,"interval":"month"},
              {"feature_id":"messages","limit":3,"interval":"day","filter":{"properties":{"model":"big"}}}],
             "overage_allowed":[{"feature_id":"messages","enabled":true}]}
            """);

        var merged = PlanDefaults.Inherit(own, [plan])!;

        Assert.Equal([50m, 9m, 3m], merged.UsageLimits.Select(l => l.Limit));
        Assert.Equal(["messages", "tokens", "messages"], merged.UsageLimits.Select(l => l.FeatureId));
        Assert.True(Assert.Single(merged.OverageAllowed).Enabled);
        Assert.Same(own, PlanDefaults.Inherit(own, []));
        Assert.Null(PlanDefaults.Inherit(null, []));
    }

    [Fact]
    public void StricterUsageLimit_FollowsAutumnsOrder()
    {
        // Enabled beats disabled, whatever the limits.
        Assert.True(PlanDefaults.StricterUsageLimit(Limit(1, ControlWindow.Day, enabled: false), Limit(100, ControlWindow.Day)).Enabled);
        // Same interval: the lower limit.
        Assert.Equal(7m, PlanDefaults.StricterUsageLimit(Limit(9, ControlWindow.Day), Limit(7, ControlWindow.Day)).Limit);
        // Different intervals: the lower rate per day (2000 a month is about 66.7 a day, below 100 a day).
        Assert.Equal(2000m, PlanDefaults.StricterUsageLimit(Limit(100, ControlWindow.Day), Limit(2000, ControlWindow.Month)).Limit);
        Assert.Equal(ControlWindow.Week, PlanDefaults.StricterUsageLimit(Limit(700, ControlWindow.Week), Limit(101, ControlWindow.Day)).Interval);
        // Equal rates: a UTC window beats a billing-cycle one; else the first stays.
        Assert.False(PlanDefaults.StricterUsageLimit(Limit(10, ControlWindow.Day), Limit(70, ControlWindow.Week, cycle: false)).BillingCycleAnchor);
        var first = Limit(10, ControlWindow.Day);
        Assert.Same(first, PlanDefaults.StricterUsageLimit(first, Limit(10, ControlWindow.Day)));
    }

    [Fact]
    public void Inherit_AcrossPlans_MostRestrictiveWins_AlertsBelongToTheMostRecentPlan()
    {
        var recent = Parse("""
            {"usage_limits":[{"feature_id":"messages","limit":40,"interval":"day"}],
             "overage_allowed":[{"feature_id":"messages","enabled":true}],
             "spend_limits":[{"feature_id":"messages","enabled":true,"overage_limit":30}],
             "usage_alerts":[{"feature_id":"messages","threshold":10,"threshold_type":"usage"},{"feature_id":"messages","threshold":20,"threshold_type":"usage"}]}
            """);
        var older = Parse("""
            {"usage_limits":[{"feature_id":"messages","limit":20,"interval":"day"}],
             "overage_allowed":[{"feature_id":"messages","enabled":false}],
             "spend_limits":[{"feature_id":"messages","enabled":true,"overage_limit":10}],
             "usage_alerts":[{"feature_id":"messages","threshold":99,"threshold_type":"usage"},{"threshold":5,"threshold_type":"remaining"}]}
            """);

        var merged = PlanDefaults.Inherit(null, [recent, older])!;
        var shadowed = PlanDefaults.Inherit(Parse("""{"usage_alerts":[{"feature_id":"messages","threshold":1,"threshold_type":"usage"}]}"""), [recent, older])!;

        Assert.Equal(20m, Assert.Single(merged.UsageLimits).Limit);
        Assert.False(Assert.Single(merged.OverageAllowed).Enabled);
        Assert.Equal([30m, 10m], merged.SpendLimits.Select(l => l.OverageLimit!.Value));
        Assert.Equal([10m, 20m, 5m], merged.UsageAlerts.Select(a => a.Threshold));
        Assert.Equal([1m, 5m], shadowed.UsageAlerts.Select(a => a.Threshold));
    }

    [Fact]
    public void Track_PlanUsageLimit_CapsTheCustomer_CheckAgrees()
    {
        var (s, catalog) = Held(("""{"usage_limits":[{"feature_id":"messages","limit":10,"interval":"day","anchor":"utc"}]}""", AttachmentStatus.Active));

        Assert.Equal(8m, Track(s, catalog, 8).Applied());
        Assert.False(Check(s, catalog, 3));
        Assert.True(Check(s, catalog, 2));
        Assert.Equal(2m, Track(s, catalog, 5).Applied());
        Assert.Equal(TrackStatus.UsageLimitExceeded, Track(s, catalog, 1).Status);
        // Without the plan's controls in the catalog the same customer is not capped.
        Assert.Equal(TrackStatus.Applied, Track(s, new Catalog(catalog.Features, []), 1).Status);
    }

    [Fact]
    public void Track_CustomersOwnLimit_ShadowsThePlansEvenWhenLooser()
    {
        var (s, catalog) = Held(("""{"usage_limits":[{"feature_id":"messages","limit":10,"interval":"day","anchor":"utc"}]}""", AttachmentStatus.Active));
        s.SetControls("""{"usage_limits":[{"feature_id":"messages","limit":25,"interval":"day","anchor":"utc"}]}""");

        Assert.Equal(20m, Track(s, catalog, 20).Applied());
        Assert.Equal(5m, Track(s, catalog, 9).Applied());
        Assert.False(Check(s, catalog, 1));
    }

    [Fact]
    public void Track_CustomerDisablesThePlansSpendLimit_OverageUncapped()
    {
        const string Plan = """{"spend_limits":[{"feature_id":"messages","enabled":true,"overage_limit":20}]}""";
        var (capped, catalog) = Held((Plan, AttachmentStatus.Active));
        var (open, openCatalog) = Held((Plan, AttachmentStatus.Active));
        open.SetControls("""{"spend_limits":[{"feature_id":"messages","enabled":false}]}""");

        Assert.Equal(1020m, Track(capped, catalog, 1500).Applied());
        Assert.Equal(1500m, Track(open, openCatalog, 1500).Applied());
    }

    [Fact]
    public void Track_ScheduledPlan_ItsControlsWaitUntilItStarts_TheStricterActivePlanBinds()
    {
        var (s, catalog) = Held(
            ("""{"usage_limits":[{"feature_id":"messages","limit":30,"interval":"day","anchor":"utc"}]}""", AttachmentStatus.Active),
            ("""{"usage_limits":[{"feature_id":"messages","limit":12,"interval":"day","anchor":"utc"}]}""", AttachmentStatus.Active),
            ("""{"usage_limits":[{"feature_id":"messages","limit":1,"interval":"day","anchor":"utc"}]}""", AttachmentStatus.Scheduled));

        Assert.Equal(12m, Track(s, catalog, 20).Applied());
        Assert.False(Check(s, catalog, 1));
    }

    [Fact]
    public void Track_PlanAlert_FiresOnceForTheCustomer()
    {
        var (s, catalog) = Held(("""{"usage_alerts":[{"feature_id":"messages","threshold":100,"threshold_type":"usage"}]}""", AttachmentStatus.Active));

        var w = s.Open();
        Metering.Track(w, catalog, s.Command("messages", 150) with { Timestamp = Now }, Now);
        var changes = w.ToChanges();
        s.State.Apply(changes);
        var again = s.Open();
        Metering.Track(again, catalog, s.Command("messages", 10) with { Timestamp = Now }, Now);

        Assert.Single(changes.Notifications.OfType<UsageAlertTriggered>());
        Assert.Empty(again.ToChanges().Notifications.OfType<UsageAlertTriggered>());
    }
}
