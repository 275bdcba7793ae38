using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Tally.Core.Tests;

/// <summary>
/// Invariants over random customers (stacked sources, entities, credit systems, rollovers, unlimited sinks) and
/// random sequences of tracks, refunds, event-name tracks and checks under random overage behaviours.
/// Fixed seeds keep every run identical; a failure prints the whole case.
/// </summary>
public sealed class EnginePropertyTests
{
    // The full count under TALLY_LONG_TESTS=1 (CI); a quarter of it locally.
    private static readonly int Cases = PropertyRuns.Count(400);

    // The last digit of a sum of 28-significant-digit decimals in the thousands.
    private const decimal Rounding = 0.000_000_000_000_000_000_001m;

    /// <summary>(a) ledger replay, (c) floors and ceilings, (d) Σ deltas = Σ balance change; checks are skipped.</summary>
    [Fact]
    public void Track_RandomSequences_LedgerReplaysBalancesAndBoundsHold() =>
        Verify(0x7A11_0001UL, EngineGen.Case(checkWeight: 0), c => RunSequence(c));

    /// <summary>(b) on every state a random sequence passes through; the tracks still verify (a), (c) and (d).</summary>
    [Fact]
    public void Check_RandomStates_AllowedIffRejectTrackSucceeds() =>
        Verify(0x7A11_0002UL, EngineGen.Case(checkWeight: 5), c => RunSequence(c));

    private static void Verify(ulong seed, Gen<EngineCase> gen, Action<EngineCase> property)
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(Cases)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
        Check.One(config, Prop.ForAll(Arb.From(gen), property));
    }

    private static void RunSequence(EngineCase c)
    {
        var s = c.Build();
        var replayed = Snapshot(s.State);

        foreach (var step in c.Steps)
        {
            var before = Snapshot(s.State);
            if (step.Kind == StepKind.Check)
            {
                CheckAgreesWithRejectTrack(s, step);
                continue;
            }

            var cmd = step.Kind == StepKind.EventName
                ? s.EventCommand("use", step.Value, step.Behavior) with { EntityId = step.Entity }
                : s.Command(step.Feature, step.Value, step.Behavior, step.Entity);
            var w = s.Open();
            var outcome = Metering.Track(w, s.Catalog, cmd, Scenario.Now);
            var changes = w.ToChanges();
            s.State.Apply(changes);
            var after = Snapshot(s.State);

            if (outcome.Status != TrackStatus.Applied)
            {
                // Reject is all or nothing: nothing was written, no event.
                Assert.Equal(OverageBehavior.Reject, step.Behavior);
                Assert.True(step.Value > 0, "only a positive amount can be rejected");
                Assert.True(changes.IsEmpty, "a rejected track wrote to the Working");
                Assert.Equal(before, after);
                continue;
            }

            var evt = Assert.Single(changes.Events);
            Assert.Equal(step.Value, evt.Value);
            Assert.Same(outcome.Event, evt);

            // (a) Replaying the ledger: each source (and rollover) moves by exactly minus its deltas.
            foreach (var d in evt.Deltas)
            {
                var key = Key(d.SourceId, d.RolloverId);
                replayed[key] -= d.Value;
            }
            Assert.Equal(after, replayed);

            // (d) The deltas of a step sum to the change of the summed balances (credits in credit units). A tracked
            // unit split across credit costs (1/7 of a unit) has 28 significant digits, so summing in another order
            // may round the last digit differently; anything beyond that is a real discrepancy.
            var moved = before.Values.Sum() - after.Values.Sum();
            var deltaSum = evt.Deltas.Sum(d => d.Value);
            Assert.True(Math.Abs(moved - deltaSum) < Rounding, $"balances moved by {moved} but the deltas sum to {deltaSum}");

            // (c) Floors and ceilings, and rollovers only ever drawn down.
            foreach (var src in s.State.Sources)
            {
                var old = before[src.Id];
                var now = after[src.Id];
                if (!evt.Deltas.Any(d => d.SourceId == src.Id && d.RolloverId is null))
                {
                    Assert.Equal(old, now);
                }
                if (src.Unlimited || step.Behavior == OverageBehavior.Overflow)
                {
                    continue;
                }
                var floor = Floor(s.Catalog, src, step.Behavior);
                Assert.True(now >= Math.Min(old, floor), $"{src.Id} went from {old} to {now}, below its floor {floor}");
                Assert.True(now <= Math.Max(old, src.Granted), $"{src.Id} went from {old} to {now}, above granted {src.Granted}");
            }
            foreach (var r in s.State.Rollovers)
            {
                Assert.InRange(after[r.Id], 0m, before[r.Id]);
            }

            // The ledger row and the track outcome agree.
            Assert.Equal(outcome.Deductions.SelectMany(d => d.Deltas), evt.Deltas);
            Assert.Equal(
                evt.Deltas.Where(d => d.Value != 0).Select(d => d.SourceId).ToHashSet(),
                outcome.TouchedSources.Where(id => evt.Deltas.Any(d => d.SourceId == id && d.Value != 0)).ToHashSet());
        }

        // (a) once more over the whole run: the starting balances minus every delta are the final balances.
        Assert.Equal(Snapshot(s.State), replayed);
    }

    /// <summary>(b) On the same state, check's allowed equals "a reject-mode track of the amount is applied".</summary>
    private static void CheckAgreesWithRejectTrack(Scenario s, Step step)
    {
        var feature = s.Feature(step.Feature);
        var checkView = s.Open();
        var check = Metering.Check(checkView, s.Catalog, feature, step.Entity, step.Value, Scenario.Now);
        Assert.True(checkView.ToChanges().IsEmpty, "check without send_event wrote to the Working");

        var trackView = s.Open();
        var track = Metering.Track(trackView, s.Catalog, s.Command(step.Feature, step.Value, OverageBehavior.Reject, step.Entity),
            Scenario.Now);

        // Autumn answers false for a subject with no balance at all, while a reject track of 0 or of a refund
        // has nothing to reject; the equivalence is about subjects that have a balance to draw on.
        var hasBalance = Waterfall.Candidates(s.Open(), s.Catalog, feature.Id, step.Entity, Scenario.Now).Count > 0;
        if (hasBalance || step.Value > 0)
        {
            Assert.True(check.Allowed == (track.Status == TrackStatus.Applied),
                $"check {step.Value} allowed={check.Allowed} but reject track was {track.Status}");
        }
        if (!hasBalance)
        {
            Assert.False(check.Allowed);
            Assert.Null(check.Balance);
        }
    }

    private static decimal Floor(Catalog catalog, BalanceSource src, OverageBehavior behavior)
    {
        if (src.UsageAllowed)
        {
            return src.MaxPurchase is { } m ? -m : decimal.MinValue;
        }
        var freeContinuous = src.Price is null && catalog.Feature(src.FeatureId)!.IsContinuous;
        return freeContinuous && behavior != OverageBehavior.Reject ? decimal.MinValue : 0m;
    }

    private static string Key(string sourceId, string? rolloverId) => rolloverId ?? sourceId;

    private static Dictionary<string, decimal> Snapshot(CustomerState state)
    {
        var map = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var src in state.Sources)
        {
            map[src.Id] = src.Balance;
        }
        foreach (var r in state.Rollovers)
        {
            map[r.Id] = r.Balance;
        }
        return map;
    }
}

internal enum StepKind
{
    Track,
    EventName,
    Check,
}

internal sealed record Step(StepKind Kind, string Feature, string? Entity, decimal Value, OverageBehavior Behavior)
{
    public override string ToString() =>
        $"{Kind} {(Kind == StepKind.EventName ? "use" : Feature)}@{Entity ?? "customer"} {Value} {Behavior}";
}

internal sealed record SourceSpec(
    string Feature,
    string? Entity,
    decimal Included,
    decimal Prepaid,
    decimal UsedFraction,
    decimal Overage,
    bool UsageAllowed,
    decimal? MaxPurchase,
    bool Priced,
    bool Unlimited,
    ResetInterval? Interval,
    int IntervalCount,
    bool Standalone,
    bool AddOn,
    int? ExpiresInDays,
    decimal? Rollover)
{
    public BalanceSource ToSource(Catalog catalog)
    {
        var s = Interval is { } iv ? Src.Every(iv, Feature, Included, IntervalCount) : Src.Lifetime(Feature, Included);
        if (Prepaid > 0) s = s.Prepaid(Prepaid);
        if (UsageAllowed) s = s.Ppu(MaxPurchase);
        else if (Priced && s.Price is null) s = s with { Price = new ItemPrice { Amount = 1m, BillingMethod = BillingMethod.Prepaid } };
        if (!UsageAllowed) s = s with { MaxPurchase = MaxPurchase };
        if (Standalone) s = s with { PlanId = null, CustomerPlanId = null };
        if (AddOn) s = s.AsAddOn();
        if (Entity is { } e) s = s.OfEntity(e);
        if (ExpiresInDays is { } days) s = s.ExpiringIn(TimeSpan.FromDays(days));
        if (Unlimited) return s with { Unlimited = true, IncludedGrant = 0, PrepaidGrant = 0, Balance = 0 };

        // Start anywhere between the floor and the granted amount.
        var balance = Math.Round(s.Granted * (1 - UsedFraction), 2);
        var mayBeNegative = UsageAllowed || (s.Price is null && catalog.Feature(Feature)!.IsContinuous);
        if (balance == 0 && mayBeNegative)
        {
            var room = UsageAllowed && MaxPurchase is { } m ? m : Overage;
            balance = -Math.Min(Overage, room);
        }
        return s with { Balance = balance };
    }

    public override string ToString()
    {
        var b = new StringBuilder($"{Feature}@{Entity ?? "customer"} inc={Included}");
        if (Prepaid > 0) b.Append($" prepaid={Prepaid}");
        b.Append($" used={UsedFraction:P0}");
        if (Overage > 0) b.Append($" over={Overage}");
        if (UsageAllowed) b.Append(" ppu");
        if (MaxPurchase is { } m) b.Append($" max={m}");
        if (Priced) b.Append(" priced");
        if (Unlimited) b.Append(" UNLIMITED");
        b.Append(Interval is { } iv ? $" {IntervalCount}×{iv}" : " lifetime");
        if (Standalone) b.Append(" standalone");
        if (AddOn) b.Append(" addon");
        if (ExpiresInDays is { } d) b.Append($" expires+{d}d");
        if (Rollover is { } r) b.Append($" rollover={r}");
        return b.ToString();
    }
}

internal sealed record EngineCase(decimal CostA, decimal CostB, IReadOnlyList<SourceSpec> Sources, IReadOnlyList<Step> Steps)
{
    public Scenario Build()
    {
        var s = new Scenario(
            F.Metered("a", "use"),
            F.Metered("b", "use"),
            F.Continuous("seats"),
            F.Credits("credits", ("a", CostA), ("b", CostB)));
        foreach (var spec in Sources)
        {
            var src = s.Add(spec.ToSource(s.Catalog));
            if (spec.Rollover is { } r && !spec.Unlimited)
            {
                s.AddRollover(src, r, Scenario.Now.AddDays(10 + Sources.Count));
            }
        }
        return s;
    }

    public override string ToString() =>
        $"costs a={CostA} b={CostB}{Environment.NewLine}  sources:{Environment.NewLine}    "
        + string.Join(Environment.NewLine + "    ", Sources)
        + $"{Environment.NewLine}  steps:{Environment.NewLine}    "
        + string.Join(Environment.NewLine + "    ", Steps);
}

internal static class EngineGen
{
    private static readonly string[] _features = ["a", "b", "seats", "credits"];

    private static Gen<decimal> Amount(int maxCents) => Gen.Choose(0, maxCents).Select(c => c / 100m);

    private static Gen<T?> Sometimes<T>(int percent, Gen<T> gen) where T : struct =>
        Gen.Frequency((100 - percent, Gen.Constant<T?>(null)), (percent, gen.Select(v => (T?)v)));

    private static Gen<bool> Chance(int percent) => Gen.Choose(1, 100).Select(x => x <= percent);

    private static readonly Gen<decimal> _cost = Gen.Frequency(
        (3, Gen.Elements(0.1m, 0.2m, 0.25m, 0.5m, 1m, 2m, 3m, 7m)),
        (1, Gen.Choose(1, 1000).Select(c => c / 100m)));

    private static readonly Gen<ResetInterval?> _interval = Gen.Frequency(
        (1, Gen.Constant<ResetInterval?>(null)),
        (3, Gen.Elements(ResetInterval.Hour, ResetInterval.Day, ResetInterval.Month, ResetInterval.Year).Select(i => (ResetInterval?)i)));

    private static readonly Gen<SourceSpec> _source =
        from feature in Gen.Elements(_features)
        from entity in Gen.Elements<string?>(null, null, "e1", "e2")
        from included in Amount(100_000)
        from prepaid in Gen.Frequency((4, Gen.Constant(0m)), (1, Amount(20_000)))
        from used in Gen.Choose(0, 100).Select(p => p / 100m)
        from overage in Amount(20_000)
        from usageAllowed in Chance(40)
        from maxPurchase in Sometimes(50, Amount(20_000))
        from priced in Chance(30)
        from unlimited in Chance(8)
        from interval in _interval
        from count in Gen.Frequency((4, Gen.Constant(1)), (1, Gen.Choose(2, 3)))
        from standalone in Chance(20)
        from addOn in Chance(15)
        from expires in Sometimes(20, Gen.Choose(1, 60))
        from rollover in Sometimes(15, Amount(10_000))
        select new SourceSpec(feature, entity, included, prepaid, used, overage, usageAllowed, maxPurchase, priced,
            unlimited, interval, count, standalone, addOn, expires, rollover);

    private static Gen<Step> StepGen(int checkWeight) =>
        from kind in Gen.Frequency((5, Gen.Constant(StepKind.Track)), (1, Gen.Constant(StepKind.EventName)), (checkWeight, Gen.Constant(StepKind.Check)))
        from feature in Gen.Elements(_features)
        from entity in Gen.Elements<string?>(null, null, "e1", "e2")
        from magnitude in Gen.Frequency((6, Amount(30_000)), (1, Gen.Choose(0, 3).Select(x => (decimal)x)), (1, Amount(300_000)))
        from refund in Chance(25)
        from behavior in Gen.Elements(OverageBehavior.Cap, OverageBehavior.Cap, OverageBehavior.Reject, OverageBehavior.Overflow)
        select new Step(kind, feature, entity, refund ? -magnitude : magnitude, behavior);

    public static Gen<EngineCase> Case(int checkWeight) =>
        from costA in _cost
        from costB in _cost
        from sourceCount in Gen.Choose(1, 7)
        from sources in _source.ListOf(sourceCount)
        from stepCount in Gen.Choose(1, 25)
        from steps in StepGen(checkWeight).ListOf(stepCount)
        select new EngineCase(costA, costB, [.. sources], [.. steps]);
}
