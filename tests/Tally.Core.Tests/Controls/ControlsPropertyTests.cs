using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Tally.Core.Tests.Controls;

/// <summary>
/// Random sequences of tracks (cap, reject, overflow-free), refunds and checks over hours and days against a customer
/// with a daily and a weekly usage limit: no window ever counts more than its limit, and check agrees with a reject
/// track on every state the sequence passes through. Fixed seed.
/// </summary>
public sealed class ControlsPropertyTests
{
    private const decimal Daily = 25;
    private const decimal Weekly = 60;

    public sealed record Step(int HoursLater, decimal Value, bool Reject, bool Check);

    private static Gen<Step> StepGen =>
        from hours in Gen.Frequency((6, Gen.Constant(0)), (3, Gen.Choose(1, 6)), (1, Gen.Choose(20, 50)))
        from value in Gen.Frequency((8, Gen.Choose(1, 12)), (1, Gen.Choose(-5, -1)), (1, Gen.Choose(20, 70)))
        from reject in Gen.Elements(true, false)
        from check in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Step(hours, value, reject, check);

    [Fact]
    public void Track_RandomSequences_NeverExceedAWindowAndCheckAgrees()
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(300)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(0xC0_7201UL), FSharpOption<int>.None)));
        var gen = from ppu in Gen.Elements(true, false)
                  from steps in Gen.ListOf(StepGen, 40).Select(l => l.ToList())
                  select (ppu, steps);
        Check.One(config, Prop.ForAll(Arb.From(gen), c => Run(c.ppu, c.steps)));
    }

    private static void Run(bool ppu, List<Step> steps)
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(ppu ? Src.Lifetime("messages", 40).Ppu() : Src.Lifetime("messages", 1000));
        s.SetControls($$"""{"usage_limits":[{"feature_id":"messages","limit":{{Daily}},"interval":"day","anchor":"utc"},""" +
                      $$"""{"feature_id":"messages","limit":{{Weekly}},"interval":"week","anchor":"utc"}]}""");
        var limits = BillingControls.FromStored(s.State.Customer.BillingControlsJson)!.UsageLimits;
        var counted = new Dictionary<(ControlWindow, DateTimeOffset), decimal>();
        var at = Scenario.Now;
        foreach (var step in steps)
        {
            at = at.AddHours(step.HoursLater);
            if (step.Check)
            {
                var allowed = s.CheckAt(at, "messages", step.Value);
                var dry = Metering.Track(s.Open(), s.Catalog, s.Command("messages", step.Value, OverageBehavior.Reject) with { Timestamp = at }, at);
                Assert.Equal(step.Value <= 0 || dry.Status == TrackStatus.Applied, allowed || step.Value <= 0);
                if (step.Value > 0) Assert.Equal(dry.Status == TrackStatus.Applied, allowed);
                continue;
            }
            var (outcome, changes) = s.TrackAt(at, "messages", step.Value, step.Reject ? OverageBehavior.Reject : OverageBehavior.Cap);
            if (outcome.Status != TrackStatus.Applied)
            {
                Assert.True(changes.IsEmpty);
                continue;
            }
            var applied = outcome.Applied();
            if (applied <= 0) continue;
            Assert.True(!step.Reject || applied == step.Value, "reject applies all or nothing");
            foreach (var l in limits)
            {
                var key = (l.Interval, ControlWindows.Start(s.Open(), l, at));
                counted[key] = counted.GetValueOrDefault(key) + applied;
                Assert.True(counted[key] <= l.Limit, $"{l.Interval} window at {key.Item2} counted {counted[key]} > {l.Limit}");
            }
        }
    }
}
