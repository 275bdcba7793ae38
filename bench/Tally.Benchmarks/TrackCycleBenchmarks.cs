using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Mapping;
using Feature = Tally.Core.Domain.Feature;

namespace Tally.Benchmarks;

/// <summary>
/// A customer-level track as the server runs it under the customer's lock, stage by stage, with 1 and with 101 grants
/// stacked on the feature: the engine's deduction, the answer's balances, the changes for the store, the state's
/// update after the commit, and the answer's JSON. Each stage includes the ones before it, so the differences between
/// rows say where the cost of the stacked grants goes. The state is live: every call commits its track into it.
/// </summary>
[MemoryDiagnoser]
public class TrackCycleBenchmarks
{
    private Catalog _catalog = null!;
    private Feature _feature = null!;
    private CustomerState _state = null!;
    private TrackCommand _track = null!;

    [Params(1, 101)]
    public int Grants { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _feature = State.Metered("messages");
        _catalog = new Catalog([_feature], []);
        _state = State.Customer("messages", Grants);
        _track = State.Track(_feature);
    }

    /// <summary>The deduction alone (nothing committed).</summary>
    [Benchmark]
    public TrackOutcome Deduct() => Metering.Track(new Working(_state), _catalog, _track, State.Now);

    /// <summary>The deduction and the balances the answer shows (nothing committed).</summary>
    [Benchmark]
    public object Balances()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        return Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
    }

    /// <summary>The deduction, the answer's balances and the changes handed to the store (nothing committed).</summary>
    [Benchmark]
    public CustomerChanges Changes()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        return w.ToChanges();
    }

    /// <summary>As <see cref="Changes"/>, then the committed changes applied to the customer's state.</summary>
    [Benchmark]
    public CustomerChanges Committed()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        var changes = w.ToChanges();
        _state.Apply(changes);
        return changes;
    }

    /// <summary>The whole cycle: as <see cref="Committed"/>, plus the answer's JSON as balances.track writes it.</summary>
    [Benchmark]
    public byte[] Answered()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        var (balance, map) = Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        var body = Answer(balance, map, outcome);
        _state.Apply(w.ToChanges());
        return body;
    }

    /// <summary>The whole cycle with the answer written as the server now writes it (<see cref="BalanceJson"/>).</summary>
    [Benchmark]
    public byte[] AnsweredWritten()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        var (balance, map) = Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        var body = Written(balance, map, outcome);
        _state.Apply(w.ToChanges());
        return body;
    }

    /// <summary>As <see cref="AnswerOnly"/>, written by <see cref="BalanceJson"/>.</summary>
    [Benchmark]
    public byte[] AnswerWrittenOnly()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        var (balance, map) = Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        return Written(balance, map, outcome);
    }

    private static byte[] Written(BalanceSummary? balance, IReadOnlyList<(string FeatureId, BalanceSummary? Balance)> map, TrackOutcome outcome) =>
        BalanceJson.Track("cus_bench", null, null, 1m, balance, map.Count >= 2 ? map : null, outcome.Event!.Deltas
            .GroupBy(d => d.SourceId)
            .Select(g => BalanceWire.ToWire(g.First() with { Value = g.Sum(d => d.Value) }))
            .ToList());

    /// <summary>The answer's JSON alone, for the balances of one (uncommitted) track.</summary>
    [Benchmark]
    public byte[] AnswerOnly()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        var (balance, map) = Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        return Answer(balance, map, outcome);
    }

    // What Tally.Server.Api.Balances.Track wrote before BalanceJson: the mapped response through the serializer.
    private static byte[] Answer(BalanceSummary? balance, IReadOnlyList<(string FeatureId, BalanceSummary? Balance)> map, TrackOutcome outcome) =>
        JsonSerializer.SerializeToUtf8Bytes(new BalancesTrackResponse
        {
            CustomerId = "cus_bench",
            Value = 1m,
            Balance = balance.ToWire(),
            Balances = map.Count >= 2 ? map.ToDictionary(m => m.FeatureId, m => m.Balance.ToWire()) : null,
            Deductions = outcome.Event!.Deltas
                .GroupBy(d => d.SourceId)
                .Select(g => BalanceWire.ToWire(g.First() with { Value = g.Sum(d => d.Value) }))
                .ToList(),
        }, TallyJsonContext.Default.BalancesTrackResponse);
}
