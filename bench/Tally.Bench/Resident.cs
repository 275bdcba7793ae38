using System.Diagnostics;
using System.Globalization;

namespace Tally.Bench;

/// <summary>
/// The resident-set case (issue #11 item 5): a server on SQLite with its default resident budget, and a track for
/// each of <see cref="Options.ResidentCustomers"/> distinct stored customers, once each, plus a track of an id that
/// does not exist for every fourth. Each track loads its customer into memory; the budget must keep the server's RSS flat however
/// many customers pass through.
/// </summary>
internal static class Resident
{
    private const int Concurrency = 16;

    public static async Task<string> RunAsync(Options o, Action<string> log)
    {
        var dir = Path.Combine(o.WorkDir, "resident");
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, "tally.db");
        var logPath = Path.Combine(dir, "server.log");
        await using (var seeding = await Server.StartAsync(o.ServerDll, db, logPath, false, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false))
        {
            await Seed.HotCustomerAsync(seeding, 0, 0, log).ConfigureAwait(false);
            await seeding.StopAsync().ConfigureAwait(false);
        }
        Seed.BulkCustomers(db, o.ResidentCustomers, log);
        await using var server = await Server.StartAsync(o.ServerDll, db, logPath, false, TimeSpan.FromSeconds(120), o.ServerEnv).ConfigureAwait(false);
        await Seed.PostAsync(server.Http, "balances.track", """{"customer_id":"hot","feature_id":"messages","value":1}""").ConfigureAwait(false);
        var before = Proc.RssKb(server.Pid);
        log($"[resident] server RSS before: {before / 1024.0:0} MB; tracking {o.ResidentCustomers:N0} distinct customers once each, {Concurrency} at a time");

        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var done = 0;
        var sw = Stopwatch.StartNew();
        await using (var sampler = new Sampler(server.Pid, TimeSpan.FromMilliseconds(200)))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, o.ResidentCustomers), new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
                async (i, _) =>
                {
                    var id = "bulk_" + i.ToString("D7", CultureInfo.InvariantCulture);
                    statuses.AddOrUpdate(await PostAsync(server, $$"""{"customer_id":"{{id}}","feature_id":"messages","value":1}""").ConfigureAwait(false),
                        1, (_, n) => n + 1);
                    // A lookup that finds nothing must leave nothing behind either (one per four customers).
                    if (i % 4 == 0)
                    {
                        await PostAsync(server, $$"""{"customer_id":"ghost_{{id}}","feature_id":"messages","value":1}""").ConfigureAwait(false);
                    }
                    if (Interlocked.Increment(ref done) % 100_000 == 0)
                    {
                        log($"[resident] {done:N0} customers in {sw.Elapsed.TotalSeconds:0} s; RSS now {Proc.RssKb(server.Pid) / 1024.0:0} MB, peak so far {sampler.PeakRssKb / 1024.0:0} MB");
                    }
                }).ConfigureAwait(false);
            var after = Proc.RssKb(server.Pid);
            var peak = Math.Max(sampler.PeakRssKb, Proc.PeakRssKb(server.Pid));
            var note = string.Create(CultureInfo.InvariantCulture,
                $"{o.ResidentCustomers:N0} distinct customers tracked once each (+ one unknown id per four) in {sw.Elapsed.TotalSeconds:0} s: server RSS before {before / 1024.0:0} MB, after {after / 1024.0:0} MB, peak {peak / 1024.0:0} MB (VmHWM); track statuses {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value:N0}"))}");
            log("[resident] " + note);
            return note;
        }
    }

    private static async Task<int> PostAsync(Server s, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var r = await s.Http.PostAsync("v1/balances.track", content).ConfigureAwait(false);
        await r.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return (int)r.StatusCode;
    }
}
