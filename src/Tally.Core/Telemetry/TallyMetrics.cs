using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tally.Core.Telemetry;

/// <summary>
/// Tally's own instruments, on one BCL <see cref="Meter"/> named "Tally" that the server exports (Prometheus at
/// /metrics, OTLP when configured). Instruments cost next to nothing while no listener is attached, so the stores
/// can record from their hot paths unconditionally. Names become <c>tally_…</c> in Prometheus.
/// </summary>
public static class TallyMetrics
{
    public const string MeterName = "Tally";

    private static readonly Meter Meter = new(MeterName);

    // Declared before the histograms that use it: static fields initialise in textual order.
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    // The per-request counts are plain Interlocked adds that observable instruments read when metrics are collected:
    // a synchronous Counter.Add costs a tag-set lookup in the SDK on every call, and these sit on the hottest routes.
    private static readonly string[] OutcomeNames = ["allowed", "denied", "replayed", "refused"];
    private static readonly long[] TrackCounts = new long[OutcomeNames.Length];
    private static readonly long[] CheckCounts = new long[OutcomeNames.Length];
    private static long _eventsIngested;

    private static readonly ObservableCounter<long> Tracks = Meter.CreateObservableCounter("tally.tracks",
        () => ByOutcome(TrackCounts), "{request}", "balances.track requests by outcome (allowed, denied, replayed, refused)");

    private static readonly ObservableCounter<long> Checks = Meter.CreateObservableCounter("tally.checks",
        () => ByOutcome(CheckCounts), "{request}", "balances.check requests by outcome (allowed, denied, replayed, refused)");

    private static readonly ObservableCounter<long> Events = Meter.CreateObservableCounter("tally.events.ingested",
        () => Volatile.Read(ref _eventsIngested), "{event}", "Usage events written to the ledger");

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("tally.commit.batch_size", "{unit}",
        "Units of work committed together in one transaction (group commit)",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });

    private static readonly Histogram<double> CommitLatency = Meter.CreateHistogram<double>("tally.commit.duration", "s",
        "Time from a unit entering the commit pipeline to its batch being durable", advice: Seconds);

    private static readonly Histogram<double> FsyncLatency = Meter.CreateHistogram<double>("tally.fsync.duration", "s",
        "Time spent making one batch durable (the transaction commit, i.e. the fsync)", advice: Seconds);

    // Read from the pipelines' own queues when collected, so enqueueing a unit records nothing.
    private static readonly List<(WeakReference<object> Owner, Func<object, long> Count)> QueueSources = [];

    private static readonly ObservableUpDownCounter<long> Queue = Meter.CreateObservableUpDownCounter("tally.commit.queue_depth",
        () => Sum(QueueSources), "{unit}", "Units waiting in the commit pipeline");

    // Stores register themselves; held weakly so a disposed store (tests make many) is not kept alive by its meter.
    private static readonly List<(WeakReference<object> Owner, Func<object, long> Count)> ResidentSources = [];

    private static readonly ObservableGauge<long> Resident = Meter.CreateObservableGauge("tally.customers.resident", () => Sum(ResidentSources),
        "{customer}", "Customers whose state is held in memory by this process");

    private static readonly Counter<long> SweeperRuns = Meter.CreateCounter<long>("tally.sweeper.runs", "{run}",
        "Reset sweeper passes, by result (ok, failed)");

    private static readonly Counter<long> SweeperSettled = Meter.CreateCounter<long>("tally.sweeper.settled", "{customer}",
        "Idle customers the reset sweeper settled");

    private static readonly Histogram<double> SweeperLag = Meter.CreateHistogram<double>("tally.sweeper.lag", "s",
        "How late the sweeper started a pass relative to its schedule", advice: Seconds);

    private static readonly Counter<long> Webhooks = Meter.CreateCounter<long>("tally.webhook.deliveries", "{delivery}",
        "Webhook deliveries by outcome");

    public static void Track(Outcome outcome) => Interlocked.Increment(ref TrackCounts[(int)outcome]);

    public static void Check(Outcome outcome) => Interlocked.Increment(ref CheckCounts[(int)outcome]);

    public static void EventsIngested(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _eventsIngested, count);
        }
    }

    private static IEnumerable<Measurement<long>> ByOutcome(long[] counts)
    {
        for (var i = 0; i < counts.Length; i++)
        {
            yield return new Measurement<long>(Volatile.Read(ref counts[i]), new KeyValuePair<string, object?>("outcome", OutcomeNames[i]));
        }
    }

    /// <summary>One batch committed: its size, how long the commit (fsync) took, and how long its oldest unit waited in all.</summary>
    public static void Committed(int units, long commitStartTimestamp, long oldestEnqueuedTimestamp)
    {
        if (!BatchSize.Enabled && !FsyncLatency.Enabled && !CommitLatency.Enabled)
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        BatchSize.Record(units);
        FsyncLatency.Record(Stopwatch.GetElapsedTime(commitStartTimestamp, now).TotalSeconds);
        CommitLatency.Record(Stopwatch.GetElapsedTime(oldestEnqueuedTimestamp, now).TotalSeconds);
    }

    /// <summary>Reports <paramref name="count"/> of <paramref name="owner"/> as units waiting to commit while the owner lives.</summary>
    public static void ObserveQueue(object owner, Func<object, long> count) => Register(QueueSources, owner, count);

    /// <summary>Reports <paramref name="count"/> of <paramref name="owner"/> as resident customers while the owner lives.</summary>
    public static void ObserveResident(object owner, Func<object, long> count) => Register(ResidentSources, owner, count);

    private static void Register(List<(WeakReference<object> Owner, Func<object, long> Count)> sources, object owner, Func<object, long> count)
    {
        lock (sources)
        {
            sources.RemoveAll(s => !s.Owner.TryGetTarget(out _));
            sources.Add((new WeakReference<object>(owner), count));
        }
    }

    private static long Sum(List<(WeakReference<object> Owner, Func<object, long> Count)> sources)
    {
        long total = 0;
        lock (sources)
        {
            foreach (var (owner, count) in sources)
            {
                if (owner.TryGetTarget(out var o))
                {
                    total += count(o);
                }
            }
        }
        return total;
    }

    public static void SweeperRan(bool ok, int settled, TimeSpan lag)
    {
        SweeperRuns.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));
        SweeperSettled.Add(settled);
        SweeperLag.Record(Math.Max(0, lag.TotalSeconds));
    }

    public static void WebhookDelivered(string outcome) => Webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}

/// <summary>How a track or check request ended, as counted by <c>tally.tracks</c> / <c>tally.checks</c>.</summary>
public enum Outcome
{
    Allowed,
    Denied,
    Replayed,
    Refused,
}
