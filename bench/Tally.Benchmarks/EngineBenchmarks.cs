using BenchmarkDotNet.Attributes;
using Tally.Core.Domain;
using Tally.Core.Engine;

namespace Tally.Benchmarks;

/// <summary>
/// The engine on the hot path, without HTTP or storage: a check is a reject-mode dry run of the waterfall, a track
/// applies it to a fresh copy-on-write <see cref="Working"/> (as the server opens one per request).
/// P3 asks for an engine-only check of at most 5 µs with no allocation beyond the result.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private Catalog _catalog = null!;
    private Feature _feature = null!;
    private CustomerState _state = null!;
    private Working _working = null!;
    private TrackCommand _track = null!;

    [Params(1, 3)]
    public int Sources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _feature = State.Metered("messages");
        _catalog = new Catalog([_feature], []);
        _state = State.Customer("messages", Sources);
        _working = new Working(_state);
        _track = State.Track(_feature);
    }

    /// <summary>What balances.check runs per request: a new Working over the state, then the dry run and the shown balance.</summary>
    [Benchmark(Baseline = true)]
    public CheckOutcome Check() => Metering.Check(new Working(_state), _catalog, _feature, null, 1m, State.Now);

    /// <summary>The dry run alone, on a Working opened once (a check writes nothing into it).</summary>
    [Benchmark]
    public CheckOutcome CheckReusedWorking() => Metering.Check(_working, _catalog, _feature, null, 1m, State.Now);

    /// <summary>What balances.track runs per request before the store: Working, waterfall, ledger event.</summary>
    [Benchmark]
    public TrackOutcome Track() => Metering.Track(new Working(_state), _catalog, _track, State.Now);

    /// <summary>Track plus the balances its response shows and the changes handed to the store.</summary>
    [Benchmark]
    public CustomerChanges TrackWithResponseBalances()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        return w.ToChanges();
    }
}

/// <summary>100 grants stacked on one feature: the waterfall orders every candidate on every request.</summary>
[MemoryDiagnoser]
public class StackedSourcesBenchmarks
{
    private Catalog _catalog = null!;
    private Feature _feature = null!;
    private CustomerState _state = null!;
    private Working _working = null!;
    private TrackCommand _track = null!;

    [Params(100)]
    public int Sources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _feature = State.Metered("messages");
        _catalog = new Catalog([_feature], []);
        _state = State.Customer("messages", Sources);
        _working = new Working(_state);
        _track = State.Track(_feature);
    }

    [Benchmark]
    public List<Candidate> Candidates() => Waterfall.Candidates(_working, _catalog, _feature.Id, null, State.Now);

    [Benchmark]
    public CheckOutcome Check() => Metering.Check(new Working(_state), _catalog, _feature, null, 1m, State.Now);

    [Benchmark]
    public TrackOutcome Track() => Metering.Track(new Working(_state), _catalog, _track, State.Now);
}

/// <summary>
/// P6 as a ratio: the same check and track with 1 grant and with 101 stacked on the feature (one plan grant and 100
/// standalone ones), in one run, so the ratio between the two rows holds whatever else loads the machine.
/// </summary>
[MemoryDiagnoser]
public class GrantStackBenchmarks
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

    /// <summary>balances.check's engine work: the dry run and the shown balance (with its breakdown).</summary>
    [Benchmark]
    public CheckOutcome Check() => Metering.Check(new Working(_state), _catalog, _feature, null, 1m, State.Now);

    /// <summary>balances.track's engine work: the deduction, the response balances and the changes for the store.</summary>
    [Benchmark]
    public CustomerChanges Track()
    {
        var w = new Working(_state);
        var outcome = Metering.Track(w, _catalog, _track, State.Now);
        Metering.TrackBalances(w, _catalog, _track, outcome, State.Now);
        return w.ToChanges();
    }
}
