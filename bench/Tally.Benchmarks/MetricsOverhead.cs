using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Tally.Benchmarks;

/// <summary>
/// What <c>TALLY_METRICS=on</c> adds to one track, measured by thread CPU in one process (issue #14's 3 % budget):
/// the HTTP server meter's per-request work as ASP.NET Core's hosting code does it (two <c>http.server.active_requests</c>
/// adds, one <c>http.server.request.duration</c> record with its five tags, two timestamps) plus a share of the commit
/// histograms (three records per batch of ≈ 15 tracks), once on instruments an OpenTelemetry MeterProvider listens to
/// and once on the same instruments with no listener (what <c>off</c> leaves). Tally's own per-track counts are
/// Interlocked adds on both sides (they do not depend on the switch), so they are not part of the difference.
/// Kestrel's meter records per connection, not per request, so a keep-alive benchmark does not see it.
/// Run: dotnet run -c Release --project bench/Tally.Benchmarks -- --metrics [rounds]
/// </summary>
internal static class MetricsOverhead
{
    private const int TracksPerCommit = 15;

    public static void Run(int rounds)
    {
        var on = new Instruments("Microsoft.AspNetCore.Hosting", "Tally");
        var off = new Instruments("bench.unobserved.hosting", "bench.unobserved.tally");
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter("Microsoft.AspNetCore.Hosting", "Tally")
            .AddReader(new BaseExportingMetricReader(new NoExport()))
            .Build();
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}; {rounds} rounds; thread CPU time per request");
        var n = 0;
        Interleaved.Pair("metrics work of one track request: off vs on (ratio on/off)", rounds, 20_000,
            () => off.Request(n++), () => on.Request(n++));
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private sealed class Instruments
    {
        private static readonly object Status200 = 200;
        private readonly UpDownCounter<long> _active;
        private readonly Histogram<double> _duration;
        private readonly Histogram<int> _batch;
        private readonly Histogram<double> _fsync;
        private readonly Histogram<double> _commit;

        public Instruments(string hostingMeter, string tallyMeter)
        {
            var hosting = new Meter(hostingMeter);
            var tally = new Meter(tallyMeter);
            _active = hosting.CreateUpDownCounter<long>("http.server.active_requests", "{request}");
            _duration = hosting.CreateHistogram<double>("http.server.request.duration", "s",
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
            _batch = tally.CreateHistogram<int>("tally.commit.batch_size");
            _fsync = tally.CreateHistogram<double>("tally.fsync.duration", "s");
            _commit = tally.CreateHistogram<double>("tally.commit.duration", "s");
        }

        public object Request(int i)
        {
            var start = _active.Enabled || _duration.Enabled ? Stopwatch.GetTimestamp() : 0;
            _active.Add(1, new KeyValuePair<string, object?>("http.request.method", "POST"), new KeyValuePair<string, object?>("url.scheme", "http"));
            _active.Add(-1, new KeyValuePair<string, object?>("http.request.method", "POST"), new KeyValuePair<string, object?>("url.scheme", "http"));
            if (_duration.Enabled)
            {
                var tags = new TagList
                {
                    { "http.request.method", "POST" },
                    { "url.scheme", "http" },
                    { "network.protocol.version", "1.1" },
                    { "http.route", "/v1/balances.track" },
                    { "http.response.status_code", Status200 },
                };
                _duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, tags);
            }
            if (i % TracksPerCommit == 0 && (_batch.Enabled || _fsync.Enabled || _commit.Enabled))
            {
                _batch.Record(TracksPerCommit);
                _fsync.Record(0.0003);
                _commit.Record(0.0011);
            }
            return this;
        }
    }

    private sealed class NoExport : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
