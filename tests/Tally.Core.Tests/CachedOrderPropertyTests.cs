using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Tally.Core.Tests;

/// <summary>
/// The source orders and customer-level balances cached on a <see cref="CustomerState"/> (and patched as tracks commit)
/// answer exactly what the engine computes without them: after every step of a random sequence, every read on the
/// long-lived state equals the same read on a copy loaded afresh, and every balance equals the plain summary of the
/// visible sources, at times on both sides of the sources' expiries.
/// </summary>
public sealed class CachedOrderPropertyTests
{
    private static readonly int Cases = PropertyRuns.Count(300);

    private static readonly string[] Features = ["a", "b", "seats", "credits"];
    private static readonly string?[] Subjects = [null, "e1", "e2"];

    // Out of order on purpose: a cache built at a later time must not answer for an earlier one.
    private static readonly DateTimeOffset[] Times =
        [Scenario.Now, Scenario.Now.AddDays(61), Scenario.Now.AddDays(20), Scenario.Now.AddDays(-1), Scenario.Now];

    [Fact]
    public void Reads_AfterEveryCommittedTrack_MatchAFreshlyLoadedState()
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(Cases)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(0x7A11_0017UL), FSharpOption<int>.None)));
        Check.One(config, Prop.ForAll(Arb.From(EngineGen.Case(checkWeight: 2)), Run));
    }

    private static void Run(EngineCase c)
    {
        var s = c.Build();
        CompareReads(s);
        foreach (var step in c.Steps)
        {
            if (step.Kind == StepKind.Check)
            {
                var feature = s.Feature(step.Feature);
                Assert.Equal(
                    Describe(Metering.Check(new Working(Fresh(s.State)), s.Catalog, feature, step.Entity, step.Value, Scenario.Now)),
                    Describe(Metering.Check(s.Open(), s.Catalog, feature, step.Entity, step.Value, Scenario.Now)));
                continue;
            }
            var cmd = step.Kind == StepKind.EventName
                ? s.EventCommand("use", step.Value, step.Behavior) with { EntityId = step.Entity }
                : s.Command(step.Feature, step.Value, step.Behavior, step.Entity);

            // The track's own answer reads the cached state through the unit's changes.
            var expected = new Working(Fresh(s.State));
            var expectedOutcome = Metering.Track(expected, s.Catalog, cmd, Scenario.Now);
            var w = s.Open();
            var outcome = Metering.Track(w, s.Catalog, cmd, Scenario.Now);
            Assert.Equal(expectedOutcome.Status, outcome.Status);
            if (outcome.Status == TrackStatus.Applied)
            {
                Assert.Equal(Describe(Metering.TrackBalances(expected, s.Catalog, cmd, expectedOutcome, Scenario.Now)),
                    Describe(Metering.TrackBalances(w, s.Catalog, cmd, outcome, Scenario.Now)));
                foreach (var f in Features)
                {
                    Assert.Equal(Plain(w, s.Catalog, f, cmd.EntityId, Scenario.Now, outcome.TouchedSources),
                        Describe(BalanceView.For(w, s.Catalog, f, cmd.EntityId, Scenario.Now, outcome.TouchedSources)));
                }
            }
            s.State.Apply(w.ToChanges());
            CompareReads(s);
        }
    }

    private static void CompareReads(Scenario s)
    {
        var fresh = Fresh(s.State);
        foreach (var now in Times)
        {
            foreach (var f in Features)
            {
                foreach (var entity in Subjects)
                {
                    var w = s.Open();
                    Assert.Equal(Ids(Waterfall.Candidates(new Working(fresh), s.Catalog, f, entity, now)),
                        Ids(Waterfall.Candidates(w, s.Catalog, f, entity, now)));
                    Assert.Equal(Plain(w, s.Catalog, f, entity, now, null), Describe(BalanceView.For(w, s.Catalog, f, entity, now)));
                }
            }
        }
    }

    // A copy of the state's rows in a new state: nothing cached, nothing patched.
    private static CustomerState Fresh(CustomerState state)
    {
        var copy = new CustomerState(state.Customer);
        copy.Load(state.Entities, state.Sources, state.Rollovers, state.Plans, state.Locks, state.NextSeq);
        return copy;
    }

    // The balance as defined: the visible sources in view order, summarised (what BalanceView.For computed before any cache).
    private static string Plain(Working w, Catalog catalog, string featureId, string? entityId, DateTimeOffset now,
        IReadOnlySet<string>? keep)
    {
        if (catalog.Feature(featureId) is not { Type: not FeatureType.Boolean })
        {
            return Describe((BalanceSummary?)null);
        }
        var sources = BalanceView.Visible(w, featureId, entityId, now, keep)
            .OrderBy(x => x.EntityId is null ? 0 : 1).ThenBy(x => x.EntityId, StringComparer.Ordinal).ThenBy(x => x.Seq).ToList();
        return Describe(sources.Count == 0 ? null : BalanceView.Summarize(w, featureId, sources, now));
    }

    private static string Ids(List<Candidate> candidates) =>
        string.Join(",", candidates.Select(c => $"{c.Source.Id}:{c.Source.Balance}:{c.Cost}:{c.OwnFeature}"));

    private static string Describe(CheckOutcome o) => $"{o.Allowed} {o.FeatureId} {o.RequiredBalance} {Describe(o.Balance)}";

    private static string Describe((BalanceSummary? Balance, IReadOnlyList<(string FeatureId, BalanceSummary? Balance)> Map) b) =>
        Describe(b.Balance) + string.Concat(b.Map.Select(m => $" [{m.FeatureId}] {Describe(m.Balance)}"));

    // Decimals as written (scale included): the wire shows them so.
    private static string Describe(BalanceSummary? b)
    {
        if (b is null)
        {
            return "none";
        }
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"{b.FeatureId} g={b.Granted} r={b.Remaining} u={b.Usage} unl={b.Unlimited} over={b.OverageAllowed} max={b.MaxPurchase} next={b.NextResetAt:O}");
        foreach (var i in b.Breakdown)
        {
            sb.Append(CultureInfo.InvariantCulture, $" ({i.Source.Id} {i.IncludedGrant} {i.PrepaidGrant} {i.Remaining} {i.Usage} {i.Source.Balance})");
        }
        foreach (var r in b.Rollovers)
        {
            sb.Append(CultureInfo.InvariantCulture, $" <{r.Granted} {r.Balance} {r.ExpiresAt:O}>");
        }
        return sb.ToString();
    }
}
