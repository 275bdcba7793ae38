using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tally.Bench;

/// <summary>
/// The "aggregate" scenario (issue #19): one customer holding 1,000,000 tracked events spread over 90 days, seeded
/// through balances.batch_track with past timestamps (so the server writes exactly its own ledger and rollup rows),
/// then a 30-day daily and a 90-day hourly events.aggregate timed one at a time: client time per request and the
/// server's own time from its request log, medians kept. Then track with and without billing controls (a usage limit
/// and alerts), interleaved rounds on the same server. On SQLite, and on PostgreSQL when --postgres is given.
/// </summary>
internal sealed partial class Bench
{
    private const string AggCustomer = "agg";
    private const int AggEvents = 1_000_000;
    private const int AggSamples = 60;
    private const long DayMs = 86_400_000;

    private static readonly string AggDaily = $$"""{"customer_id":"{{AggCustomer}}","feature_id":"messages","range":"30d","bin_size":"day"}""";
    private static readonly string AggHourly = $$"""{"customer_id":"{{AggCustomer}}","feature_id":"messages","range":"90d","bin_size":"hour"}""";

    private async Task AggregateAsync()
    {
        await AggregateOnAsync("SQLite", null).ConfigureAwait(false);
        if (o.Postgres is { } pg)
        {
            await AggregateOnAsync("PostgreSQL", pg).ConfigureAwait(false);
        }
        else
        {
            Log("[aggregate] PostgreSQL skipped: no --postgres connection string");
        }
    }

    private async Task AggregateOnAsync(string store, string? postgres)
    {
        var dir = Path.Combine(o.WorkDir, "aggregate-" + store.ToLowerInvariant());
        Directory.CreateDirectory(dir);
        var log = Path.Combine(dir, "server.log");
        Log($"[aggregate] starting the server on {store}");
        // The default request log times every non-hot request, events.aggregate included: that is the server time.
        await using var server = await Server.StartAsync(o.ServerDll, postgres ?? Path.Combine(dir, "tally.db"), log, false,
            TimeSpan.FromSeconds(120), o.ServerEnv).ConfigureAwait(false);
        await Seed.HotCustomerAsync(server, 0, 0, Log).ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "customers.get_or_create", $$"""{"customer_id":"{{AggCustomer}}"}""").ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "billing.attach", $$"""{"customer_id":"{{AggCustomer}}","plan_id":"pro"}""").ConfigureAwait(false);
        await SeedEventsAsync(server).ConfigureAwait(false);

        var daily = await TimeAggregateAsync(server, log, AggDaily).ConfigureAwait(false);
        var hourly = await TimeAggregateAsync(server, log, AggHourly).ConfigureAwait(false);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{store}, {AggEvents:N0} events over 90 days: 30d daily p50 {daily.Client:0.0} ms client / {daily.Server:0.0} ms server (target <= 50); "
            + $"90d hourly p50 {hourly.Client:0.0} ms client / {hourly.Server:0.0} ms server (target <= 200); {AggSamples} requests each, load {Proc.LoadAverage()}");
        _notes["aggregate-" + store] = line;
        Log("[aggregate] " + line);

        await ControlsCostAsync(server, store).ConfigureAwait(false);
    }

    /// <summary>
    /// 1,000 batch_track requests of 1,000 events, 8 at a time: values 1–5 with a refund in fifty, timestamps evenly
    /// spread over the last 90 days with a seeded jitter, so every hour holds events.
    /// </summary>
    private async Task SeedEventsAsync(Server server)
    {
        var sw = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (90 * DayMs) + 60_000;
        var step = (90 * DayMs - 120_000) / AggEvents;
        const int perBatch = 1000;
        var batches = AggEvents / perBatch;
        var next = -1;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var b && b < batches)
            {
                var random = new Random(20261202 + b);
                var body = new StringBuilder("[");
                for (var i = 0; i < perBatch; i++)
                {
                    var n = ((long)b * perBatch) + i;
                    var value = random.Next(50) == 0 ? -1 : random.Next(1, 6);
                    var ts = start + (n * step) + random.NextInt64(step);
                    body.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture,
                        $$"""{"customer_id":"{{AggCustomer}}","feature_id":"messages","value":{{value}},"timestamp":{{ts}}}""");
                }
                await Seed.PostAsync(server.Http, "balances.batch_track", body.Append(']').ToString()).ConfigureAwait(false);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Worker))).ConfigureAwait(false);
        Log($"[aggregate] seeded {AggEvents:N0} events through batch_track in {sw.Elapsed.TotalSeconds:0.0} s ({AggEvents / sw.Elapsed.TotalSeconds:N0} events/s)");
    }

    private static readonly Regex AggregateLine = new(@"POST /v1/events\.aggregate answered 200 in ([0-9.]+) ms", RegexOptions.Compiled);

    /// <summary>Five unrecorded requests, then <see cref="AggSamples"/> one at a time; medians of client and server time.</summary>
    private static async Task<(double Client, double Server)> TimeAggregateAsync(Server server, string log, string body)
    {
        for (var i = 0; i < 5; i++)
        {
            await Seed.PostAsync(server.Http, "events.aggregate", body).ConfigureAwait(false);
        }
        var before = ServerTimes(log).Count;
        var client = new List<double>();
        for (var i = 0; i < AggSamples; i++)
        {
            var t = Stopwatch.GetTimestamp();
            var answer = await Seed.PostAsync(server.Http, "events.aggregate", body).ConfigureAwait(false);
            client.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            if (i == 0 && !answer.Contains("\"total\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("events.aggregate answered without totals: " + answer[..Math.Min(200, answer.Length)]);
            }
        }
        await Task.Delay(500).ConfigureAwait(false);
        var times = ServerTimes(log).Skip(before).ToList();
        return (MedianOf(client), times.Count > 0 ? MedianOf(times) : double.NaN);
    }

    private static List<double> ServerTimes(string log)
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return [.. AggregateLine.Matches(text).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>
    /// Track on a customer without controls and on one with a (never reached) daily usage limit and two usage alerts,
    /// alternating runs so both see the same load; medians of the rounds.
    /// </summary>
    private async Task ControlsCostAsync(Server server, string store)
    {
        const string controlled = "ctl";
        await Seed.PostAsync(server.Http, "customers.get_or_create", $$"""
            {"customer_id":"{{controlled}}","billing_controls":{
              "usage_limits":[{"feature_id":"messages","enabled":true,"limit":1000000000000,"interval":"day","anchor":"utc"}],
              "usage_alerts":[{"feature_id":"messages","enabled":true,"threshold":90,"threshold_type":"usage_percentage"},
                              {"feature_id":"messages","enabled":true,"threshold":10,"threshold_type":"remaining"}]} }
            """).ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "billing.attach", $$"""{"customer_id":"{{controlled}}","plan_id":"pro"}""").ConfigureAwait(false);
        var plain = RequestSpec.Post("balances.track", """{"customer_id":"hot","feature_id":"messages","value":1}""");
        var withControls = RequestSpec.Post("balances.track", $$"""{"customer_id":"{{controlled}}","feature_id":"messages","value":1}""");
        await WarmAsync(server, plain, withControls).ConfigureAwait(false);
        var (a, b) = (new List<Row>(), new List<Row>());
        for (var round = 1; round <= Math.Max(2, o.Rounds); round++)
        {
            a.Add(await MaxAsync("aggregate", $"{store}: track, no controls (round {round})", server, plain, o.Connections).ConfigureAwait(false));
            b.Add(await MaxAsync("aggregate", $"{store}: track, usage limit + 2 alerts (round {round})", server, withControls, o.Connections).ConfigureAwait(false));
        }
        var (ra, rb) = (MedianRps(a), MedianRps(b));
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{store}: track median {ra:N0} req/s without controls, {rb:N0} req/s with a usage limit + 2 alerts ({(rb / ra) - 1:+0.0%;-0.0%})");
        _notes["controls-" + store] = line;
        Log("[aggregate] " + line);
    }
}
