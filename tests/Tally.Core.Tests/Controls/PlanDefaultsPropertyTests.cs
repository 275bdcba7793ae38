using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Tally.Core.Tests.Controls;

/// <summary>
/// Random sequences of tracks and checks over hours and days for a customer holding two plans with default daily
/// usage limits, with or without its own limit: no UTC day ever counts more than the effective limit (the customer's
/// own, else the stricter plan's), and check agrees with a reject track. Fixed seed.
/// </summary>
public sealed class PlanDefaultsPropertyTests
{
    public sealed record Step(int HoursLater, decimal Value, bool Reject, bool Check);

    private static Gen<Step> StepGen =>
        from hours in Gen.Frequency((6, Gen.Constant(0)), (3, Gen.Choose(1, 6)), (1, Gen.Choose(20, 30)))
        from value in Gen.Frequency((8, Gen.Choose(1, 12)), (1, Gen.Choose(-5, -1)), (1, Gen.Choose(20, 50)))
        from reject in Gen.Elements(true, false)
        from check in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Step(hours, value, reject, check);

    [Fact]
    public void Track_RandomSequences_NeverExceedTheEffectiveLimit_CheckAgrees()
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(200)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(0x9_1A_2026UL), FSharpOption<int>.None)));
        var gen = from a in Gen.Choose(5, 40)
                  from b in Gen.Choose(5, 40)
                  from own in Gen.Frequency((2, Gen.Constant(0)), (1, Gen.Choose(5, 60)))
                  from steps in Gen.ListOf(StepGen, 40).Select(l => l.ToList())
                  select (a, b, own, steps);
        Check.One(config, Prop.ForAll(Arb.From(gen), c => Run(c.a, c.b, c.own, c.steps)));
    }

    private static string Daily(int limit) =>
        $$"""{"usage_limits":[{"feature_id":"messages","limit":{{limit}},"interval":"day","anchor":"utc"}]}""";

    private static void Run(int a, int b, int own, List<Step> steps)
    {
        var s = new Scenario(F.Metered("messages"));
        s.Add(Src.Lifetime("messages", 100_000));
        var changes = new CustomerChanges { NextSeq = s.State.NextSeq };
        var plans = new List<Plan>();
        foreach (var (limit, i) in new[] { (a, 0), (b, 1) })
        {
            plans.Add(new Plan { Id = $"plan_{i}", Name = "P", BillingControlsJson = Daily(limit), CreatedAt = F.Epoch });
            changes.UpsertPlans.Add(new CustomerPlan { Id = $"cp_{i}", PlanId = $"plan_{i}", StartedAt = F.Epoch.AddDays(i), AddOn = i > 0 });
        }
        s.State.Apply(changes);
        if (own > 0)
        {
            s.SetControls(Daily(own));
        }
        var catalog = new Catalog(s.Catalog.Features, plans);
        var effective = own > 0 ? own : Math.Min(a, b);
        var counted = new Dictionary<DateTime, decimal>();
        var at = Scenario.Now;
        foreach (var step in steps)
        {
            at = at.AddHours(step.HoursLater);
            if (step.Check)
            {
                var allowed = Metering.Check(s.Open(), catalog, s.Feature("messages"), null, step.Value, at).Allowed;
                var dry = Metering.Track(s.Open(), catalog, s.Command("messages", step.Value, OverageBehavior.Reject) with { Timestamp = at }, at);
                if (step.Value > 0) Assert.Equal(dry.Status == TrackStatus.Applied, allowed);
                continue;
            }
            var w = s.Open();
            var outcome = Metering.Track(w, catalog, s.Command("messages", step.Value, step.Reject ? OverageBehavior.Reject : OverageBehavior.Cap) with { Timestamp = at }, at);
            s.State.Apply(w.ToChanges());
            if (outcome.Status != TrackStatus.Applied || outcome.Applied() <= 0)
            {
                continue;
            }
            var day = at.UtcDateTime.Date;
            counted[day] = counted.GetValueOrDefault(day) + outcome.Applied();
            Assert.True(counted[day] <= effective, $"{day:d} counted {counted[day]} > {effective}");
        }
    }
}
