namespace Tally.Core.Tests;

/// <summary>Tracking by event name charges every feature listing it, atomically.</summary>
public sealed class EventNameTests
{
    private static Scenario NewScenario() => new(
        F.Metered("messages", "chat"),
        F.Metered("tokens", "chat"),
        F.Metered("other"),
        F.Credits("credits", ("messages", 1m), ("tokens", 2m)));

    [Fact]
    public void Track_EventNameUnderCap_ChargesEveryListingFeature()
    {
        var s = NewScenario();
        var messages = s.Add(Src.Monthly("messages", 10));
        var tokens = s.Add(Src.Monthly("tokens", 10));
        var other = s.Add(Src.Monthly("other", 10));

        var r = s.Track(s.EventCommand("chat", 4));

        Assert.True(r.Applied);
        Assert.Equal(6m, s.Balance(messages));
        Assert.Equal(6m, s.Balance(tokens));
        Assert.Equal(10m, s.Balance(other));
        Assert.Equal("chat", r.Outcome.Event!.EventName);
        Assert.Equal(2, r.Outcome.Deductions.Count);
        Assert.Null(r.Balance);
    }

    [Fact]
    public void Track_EventNameUnderRejectWithOneShort_NeitherChanged()
    {
        var s = NewScenario();
        s.Add(Src.Monthly("messages", 10));
        s.Add(Src.Monthly("tokens", 3));
        var w = s.Open();

        var outcome = Metering.Track(w, s.Catalog, s.EventCommand("chat", 5, OverageBehavior.Reject), Scenario.Now);

        Assert.Equal(TrackStatus.InsufficientBalance, outcome.Status);
        Assert.Equal("tokens", outcome.ShortFeatureId);
        Assert.True(w.ToChanges().IsEmpty);
    }

    [Fact]
    public void Track_EventNameSharingCredits_SecondFeatureSeesFirstFeaturesDeduction()
    {
        // 6 credits: messages takes 2 (cost 1), tokens then needs 4 (cost 2) of the 4 left: fits exactly.
        var s = NewScenario();
        var credits = s.Add(Src.Monthly("credits", 6));

        var fits = s.Track(s.EventCommand("chat", 2, OverageBehavior.Reject));

        Assert.True(fits.Applied);
        Assert.Equal(0m, s.Balance(credits));
        Assert.Equal([2m, 4m], fits.Deltas.Select(d => d.Value));
    }

    [Fact]
    public void Track_EventNameSharingCreditsUnderReject_SecondShortLeavesCreditsUntouched()
    {
        var s = NewScenario();
        var credits = s.Add(Src.Monthly("credits", 5));

        var r = s.Track(s.EventCommand("chat", 2, OverageBehavior.Reject));

        Assert.False(r.Applied);
        Assert.True(r.Changes.IsEmpty);
        Assert.Equal(5m, s.Balance(credits));
    }

    [Fact]
    public void Track_EventNameUnderCapSharingCredits_SecondFeatureTakesWhatIsLeft()
    {
        var s = NewScenario();
        var credits = s.Add(Src.Monthly("credits", 5));

        var r = s.Track(s.EventCommand("chat", 2));

        Assert.Equal(0m, s.Balance(credits));
        Assert.Equal([2m, 3m], r.Deltas.Select(d => d.Value));
        Assert.Equal(1.5m, r.Outcome.Deductions[1].Applied);
    }

    [Fact]
    public void Track_EventNameDrainingStandalone_LaterFeatureSkipsIt()
    {
        // The standalone credit grant is drained to 0 by messages; tokens must not push it into overage.
        var s = NewScenario();
        var grant = s.Add(Src.Standalone("credits", 2).Ppu());

        var r = s.Track(s.EventCommand("chat", 2));

        Assert.Equal(0m, s.Balance(grant));
        Assert.Single(r.Deltas);
    }
}
