using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;

namespace Tally.Benchmarks;

/// <summary>
/// JSON on the track path: the response body (source-generated <see cref="TallyJsonContext"/>), and the rows the
/// SQLite store encodes per track (the changed balance source and the ledger event's deltas, with the store's
/// reflection-based options, copied from RowCodec).
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private static readonly JsonSerializerOptions RowOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private BalancesTrackResponse _response = null!;
    private BalanceSource _source = null!;
    private List<SourceDelta> _deltas = null!;

    [Params(1, 100)]
    public int Sources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var feature = State.Metered("messages");
        var catalog = new Catalog([feature], []);
        var state = State.Customer("messages", Sources);
        var w = new Working(state);
        var cmd = State.Track(feature);
        var outcome = Metering.Track(w, catalog, cmd, State.Now);
        var (balance, _) = Metering.TrackBalances(w, catalog, cmd, outcome, State.Now);
        _deltas = [.. outcome.Event!.Deltas];
        _source = w.Source(_deltas[0].SourceId)!;
        // The same mapping as Tally.Server.Mapping.BalanceWire (the server project is not referenced here).
        _response = new BalancesTrackResponse
        {
            CustomerId = "hot",
            Value = 1,
            Balance = new Balance
            {
                FeatureId = balance!.FeatureId,
                Granted = balance.Granted,
                Remaining = balance.Remaining,
                Usage = balance.Usage,
                Unlimited = balance.Unlimited,
                OverageAllowed = balance.OverageAllowed,
                MaxPurchase = balance.MaxPurchase,
                NextResetAt = balance.NextResetAt?.ToUnixTimeMilliseconds(),
                Breakdown = [.. balance.Breakdown.Select(i => new BalanceBreakdown
                {
                    Id = i.Source.Id,
                    PlanId = i.Source.PlanId,
                    IncludedGrant = i.IncludedGrant,
                    PrepaidGrant = i.PrepaidGrant,
                    Remaining = i.Remaining,
                    Usage = i.Usage,
                    Unlimited = i.Source.Unlimited,
                    Reset = i.Source.Interval is { } iv
                        ? new BreakdownReset { Interval = iv.ToString().ToLowerInvariant(), IntervalCount = i.Source.IntervalCount, ResetsAt = i.Source.NextResetAt?.ToUnixTimeMilliseconds() }
                        : null,
                    ExpiresAt = i.Source.ExpiresAt?.ToUnixTimeMilliseconds(),
                })],
            },
            Deductions = [.. _deltas.Select(d => new Deduction { BalanceId = d.SourceId, FeatureId = d.FeatureId, PlanId = d.PlanId, Value = d.Value })],
        };
    }

    /// <summary>The balances.track response body (its breakdown lists every live source of the feature).</summary>
    [Benchmark]
    public byte[] TrackResponse() => JsonSerializer.SerializeToUtf8Bytes(_response, TallyJsonContext.Default.BalancesTrackResponse);

    /// <summary>balance_sources.data of the one source a track changed.</summary>
    [Benchmark]
    public string RowBalanceSource() => JsonSerializer.Serialize(_source, RowOptions);

    /// <summary>events.deltas of the track's ledger event.</summary>
    [Benchmark]
    public string RowEventDeltas() => JsonSerializer.Serialize(_deltas, RowOptions);
}
