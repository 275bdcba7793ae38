using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tally.Bench;

/// <summary>
/// "Delivery never slows track": the one-customer track run in interleaved rounds of three, on one server:
/// <c>plain</c> (nothing else happening), <c>trickle</c> (another customer raises a steady stream of
/// <c>balances.limit_reached</c> events, and no endpoint wants them) and <c>delivering</c> (the same stream, sent to a
/// registered endpoint: a sink in this process answering 200). The verdict compares delivering with plain (medians).
/// </summary>
internal sealed partial class Bench
{
    private const string Blip = "trickle";

    private async Task WebhooksAsync()
    {
        var dir = Path.Combine(o.WorkDir, "webhooks");
        Directory.CreateDirectory(dir);
        Log($"[webhooks] starting the server; trickle {o.WebhookRate:N0} events/s from customer '{Blip}'");
        await using var server = await Server.StartAsync(o.ServerDll, Path.Combine(dir, "tally.db"), Path.Combine(dir, "server.log"),
            o.PerfDir is not null, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false);
        await Seed.HotCustomerAsync(server, 0, 0, Log).ConfigureAwait(false);
        // A balance of 1 that each pair of tracks (+1 then -1) empties and refills: one limit_reached per pair.
        await Seed.PostAsync(server.Http, "features.create", """{"feature_id":"blips","name":"Blips","type":"metered","consumable":true}""").ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "plans.create", """{"plan_id":"blip","name":"Blip","items":[{"feature_id":"blips","included":1}]}""").ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "customers.get_or_create", $$"""{"customer_id":"{{Blip}}"}""").ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "billing.attach", $$"""{"customer_id":"{{Blip}}","plan_id":"blip"}""").ConfigureAwait(false);

        using var sink = new Sink();
        var created = JsonDocument.Parse(await Seed.PostAsync(server.Http, "webhooks.create",
            $$"""{"url":"{{sink.Url}}","events":["balances.limit_reached"]}""").ConfigureAwait(false));
        var endpoint = created.RootElement.GetProperty("id").GetString()!;
        Task Enable(bool on) => Seed.PostAsync(server.Http, "webhooks.update", $$"""{"id":"{{endpoint}}","disabled":{{(on ? "false" : "true")}}}""");

        // Sanity: one pair of tracks through the sink, end to end.
        await TricklePairAsync(server.Http).ConfigureAwait(false);
        await DrainAsync(server, sink, 1).ConfigureAwait(false);
        Log($"[webhooks] sanity: the sink got {sink.Count} delivery");
        await Enable(false).ConfigureAwait(false);

        await WarmAsync(server, TrackSpec).ConfigureAwait(false);
        for (var round = 1; round <= o.Rounds; round++)
        {
            var tag = o.Rounds > 1 ? $" round {round}" : "";
            await MaxAsync("webhooks", "plain: balances.track, one customer" + tag, server, TrackSpec, o.Connections).ConfigureAwait(false);
            await WithTrickleAsync(server, sink, "trickle", tag).ConfigureAwait(false);
            await Enable(true).ConfigureAwait(false);
            await WithTrickleAsync(server, sink, "delivering", tag).ConfigureAwait(false);
            await Enable(false).ConfigureAwait(false);
        }
    }

    private async Task WithTrickleAsync(Server server, Sink sink, string kind, string tag)
    {
        var before = sink.Count;
        using var stop = new CancellationTokenSource();
        var trickle = TrickleAsync(server.Http, o.WebhookRate, stop.Token);
        await MaxAsync("webhooks", $"{kind}: balances.track, one customer, {o.WebhookRate:N0} events/s beside it{tag}", server, TrackSpec,
            o.Connections).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        var pairs = await trickle.ConfigureAwait(false);
        var sent = sink.Count - before;
        // Deliveries still due go out before the next run, so no run inherits another's backlog.
        await DrainAsync(server, sink, kind == "delivering" ? before + pairs : before).ConfigureAwait(false);
        Log($"[webhooks] {kind}: {pairs:N0} events raised during the run, {sent:N0} delivered during it, {sink.Count - before:N0} in all"
            + $" (load average {Proc.LoadAverage()})");
    }

    /// <summary>Pairs of tracks at <paramref name="rate"/> pairs per second until cancelled; returns the number of pairs.</summary>
    private static async Task<int> TrickleAsync(HttpClient http, double rate, CancellationToken ct)
    {
        var interval = (long)(Stopwatch.Frequency / rate);
        var next = Stopwatch.GetTimestamp();
        var pairs = 0;
        while (!ct.IsCancellationRequested)
        {
            await TricklePairAsync(http).ConfigureAwait(false);
            pairs++;
            next += interval;
            var wait = next - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        return pairs;
    }

    private static async Task TricklePairAsync(HttpClient http)
    {
        await Seed.PostAsync(http, "balances.track", $$"""{"customer_id":"{{Blip}}","feature_id":"blips","value":1}""").ConfigureAwait(false);
        await Seed.PostAsync(http, "balances.track", $$"""{"customer_id":"{{Blip}}","feature_id":"blips","value":-1}""").ConfigureAwait(false);
    }

    /// <summary>Waits (at most 60 s) until the sink has <paramref name="expected"/> deliveries and none is pending.</summary>
    private async Task DrainAsync(Server server, Sink sink, long expected)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            var pending = JsonDocument.Parse(await Seed.PostAsync(server.Http, "webhooks.deliveries", """{"status":"pending","limit":1}""").ConfigureAwait(false));
            if (sink.Count >= expected && pending.RootElement.GetProperty("list").GetArrayLength() == 0)
            {
                return;
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        Log($"[webhooks] WARNING: after 60 s the sink has {sink.Count} of {expected} deliveries or some are still pending");
    }

    private void WebhookVerdict()
    {
        static double? Med(IEnumerable<Row> rows) => rows.Select(r => r.Rps).OrderBy(x => x).ToList() is { Count: > 0 } l ? l[l.Count / 2] : null;
        var rows = _rows.Where(r => r.Scenario == "webhooks").ToList();
        var plain = Med(rows.Where(r => r.Label.StartsWith("plain:", StringComparison.Ordinal)));
        var trickle = Med(rows.Where(r => r.Label.StartsWith("trickle:", StringComparison.Ordinal)));
        var delivering = Med(rows.Where(r => r.Label.StartsWith("delivering:", StringComparison.Ordinal)));
        if (plain is not { } p || delivering is not { } d || p <= 0)
        {
            return;
        }
        Verdict("webhooks: track while delivering >= 95% of plain track", d / p, v => v >= 0.95,
            v => string.Create(CultureInfo.InvariantCulture, $"{v:P1} ({d:N0} / {p:N0}; trickle without an endpoint {trickle:N0})"));
    }

    /// <summary>A webhook receiver in this process: counts the requests and answers 200 at once.</summary>
    private sealed class Sink : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private long _count;

        public Sink()
        {
            var port = FreeLoopbackPort();
            Url = $"http://127.0.0.1:{port}/hook";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public long Count => Interlocked.Read(ref _count);

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                await context.Request.InputStream.CopyToAsync(Stream.Null).ConfigureAwait(false);
                Interlocked.Increment(ref _count);
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        private static int FreeLoopbackPort()
        {
            using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
