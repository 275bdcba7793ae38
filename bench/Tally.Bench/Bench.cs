using System.Diagnostics;
using System.Globalization;

namespace Tally.Bench;

internal sealed partial class Bench(Options o)
{
    private readonly List<Row> _rows = [];
    private readonly Dictionary<string, string> _notes = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Measurer _measure = null!;

    private const string TrackBody = """{"customer_id":"hot","feature_id":"messages","value":1}""";
    private const string CheckBody = """{"customer_id":"hot","feature_id":"messages","required_balance":1}""";

    /// <summary>P5's spread case: enough customers that 64 connections rarely meet on one.</summary>
    private const int SpreadCustomers = 1000;

    private static readonly RequestSpec Livez = RequestSpec.Get("/livez");
    private static readonly RequestSpec TrackSpec = RequestSpec.Post("balances.track", TrackBody);
    private static readonly RequestSpec CheckSpec = RequestSpec.Post("balances.check", CheckBody);

    private void Log(string line) => Console.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {line}");

    public async Task<int> RunAsync()
    {
        _measure = new Measurer(o, Log);
        Directory.CreateDirectory(o.WorkDir);
        Header();
        try
        {
            if (o.Has("fsync"))
            {
                FsyncProbe();
            }
            if (o.Has("livez") || o.Has("track") || o.Has("check") || o.Has("check-paced") || o.Has("batch"))
            {
                await MainAsync().ConfigureAwait(false);
            }
            if (o.Has("flat"))
            {
                await FlatAsync().ConfigureAwait(false);
            }
            if (o.Has("postgres"))
            {
                await PostgresAsync().ConfigureAwait(false);
            }
            if (o.Has("aggregate"))
            {
                await AggregateAsync().ConfigureAwait(false);
            }
            if (o.Has("webhooks"))
            {
                await WebhooksAsync().ConfigureAwait(false);
            }
            if (o.Has("resident"))
            {
                _notes["resident"] = await Resident.RunAsync(o, Log).ConfigureAwait(false);
            }
            if (o.Has("dashboard"))
            {
                _notes["dashboard"] = await Dashboard.RunAsync(o, Log).ConfigureAwait(false);
            }
            if (o.Has("audit"))
            {
                _notes["audit"] = await AuditBench.RunAsync(o, Log).ConfigureAwait(false);
            }
            if (o.Has("peers"))
            {
                await PeersAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            if (!o.Keep)
            {
                TryDelete(o.WorkDir);
            }
        }
        Summary();
        return 0;
    }

    private void Header()
    {
        Console.WriteLine("== Tally benchmark ==");
        Console.WriteLine($"date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Cpu()}, {MemTotal()}");
        Console.WriteLine($"kernel: {File.ReadAllText("/proc/version").Split(' ').Skip(2).FirstOrDefault()}; .NET {Environment.Version}");
        Console.WriteLine($"server: {o.ServerDll}");
        Console.WriteLine($"work dir: {o.WorkDir} on {Proc.FileSystemOf(o.WorkDir)}");
        if (o.ServerEnv.Count > 0)
        {
            Console.WriteLine($"server environment: {string.Join(" ", o.ServerEnv.Select(kv => kv.Key + "=" + kv.Value))}");
        }
        Console.WriteLine($"settings: duration {o.Duration} s, warm-up {o.Warmup} s, wrk -t{o.Threads} -c{o.Connections}, rounds {o.Rounds}, batch {o.BatchSize} x c{o.BatchConnections}");
        Console.WriteLine($"load average at start: {Proc.LoadAverage()}");
        if (Proc.FileSystemOf(o.WorkDir) is { } fs && (fs.StartsWith("tmpfs", StringComparison.Ordinal) || fs.StartsWith("ramfs", StringComparison.Ordinal)))
        {
            Console.WriteLine("WARNING: the work dir is on a RAM file system: fsync is free there and durable numbers mean nothing. Use --work on a disk.");
        }
        Console.WriteLine();
    }

    private static string Cpu() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static string MemTotal() =>
        File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal)) is { } l
            ? $"{long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1048576.0:0.0} GiB RAM"
            : "unknown RAM";

    // ------------------------------------------------------------------ fsync

    /// <summary>
    /// How long one small write + fsync takes in the work dir. A closed-loop group commit with C connections
    /// cannot beat C / (fsync time) durable requests per second, whatever the server does.
    /// </summary>
    private void FsyncProbe()
    {
        var file = Path.Combine(o.WorkDir, "fsync-probe.bin");
        var page = new byte[4096];
        var times = new List<double>();
        using (var fs = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            var sw = Stopwatch.StartNew();
            while (times.Count < 300 && sw.Elapsed.TotalSeconds < 3)
            {
                var t = Stopwatch.GetTimestamp();
                fs.Position = (times.Count % 16) * 4096L;
                fs.Write(page);
                fs.Flush(flushToDisk: true);
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }
        File.Delete(file);
        times.Sort();
        var mean = times.Average();
        var p50 = times[times.Count / 2];
        var p99 = times[Math.Min(times.Count - 1, (int)(times.Count * 0.99))];
        var ceiling = o.Connections / (mean / 1000);
        _notes["fsync"] = string.Create(CultureInfo.InvariantCulture,
            $"4 KiB write+fsync in the work dir: mean {mean:0.00} ms, p50 {p50:0.00} ms, p99 {p99:0.00} ms over {times.Count} syncs"
            + $" => one commit per {mean:0.00} ms; {o.Connections} connections can at most get ~{ceiling:N0} durable single-request commits/s"
            + $" (load average {Proc.LoadAverage()})");
        Log("[fsync] " + _notes["fsync"]);
    }

    // ------------------------------------------------------------------ P1-P4: one server, side by side

    private async Task MainAsync()
    {
        var dir = Path.Combine(o.WorkDir, "main");
        Directory.CreateDirectory(dir);
        Log("starting the server (SQLite, synchronous=FULL) for livez/track/check/batch");
        await using var server = await Server.StartAsync(o.ServerDll, Path.Combine(dir, "tally.db"), Path.Combine(dir, "server.log"),
            o.PerfDir is not null, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false);
        await Seed.HotCustomerAsync(server, 0, 0, Log).ConfigureAwait(false);
        Log("sanity track: " + Trim(await Seed.PostAsync(server.Http, "balances.track", TrackBody).ConfigureAwait(false)));
        Log("sanity check: " + Trim(await Seed.PostAsync(server.Http, "balances.check", CheckBody).ConfigureAwait(false)));
        var batch = RequestSpec.Post("balances.batch_track", "[" + string.Join(",", Enumerable.Repeat(TrackBody, o.BatchSize)) + "]");

        await WarmAsync(server, Livez, TrackSpec, CheckSpec).ConfigureAwait(false);
        var livez = new List<Row>();
        var track = new List<Row>();
        var check = new List<Row>();
        for (var round = 1; round <= o.Rounds; round++)
        {
            var tag = o.Rounds > 1 ? $" round {round}" : "";
            if (o.Has("livez"))
            {
                livez.Add(await MaxAsync("livez", "GET /livez" + tag, server, Livez, o.Connections).ConfigureAwait(false));
            }
            if (o.Has("track"))
            {
                track.Add(await MaxAsync("track", "balances.track, one customer" + tag, server, TrackSpec, o.Connections).ConfigureAwait(false));
            }
            if (o.Has("check"))
            {
                check.Add(await MaxAsync("check", "balances.check, one customer" + tag, server, CheckSpec, o.Connections).ConfigureAwait(false));
            }
        }
        Median("livez", livez);
        Median("track", track);
        Median("check", check);

        if (o.Has("check-paced"))
        {
            var rate = o.CheckRate ?? (check.Count > 0 ? Math.Round(MedianRps(check) / 2) : 0);
            if (rate <= 0)
            {
                Log("[check-paced] skipped: no check maximum measured and no --check-rate");
            }
            else
            {
                await PacedAsync("check-paced", $"balances.check at {rate:N0}/s (50% of max)", server, CheckSpec, rate, o.Connections).ConfigureAwait(false);
            }
        }
        if (o.Has("batch"))
        {
            await WarmAsync(server, o.BatchConnections, batch).ConfigureAwait(false);
            await MaxAsync("batch", $"balances.batch_track x{o.BatchSize}, one customer", server, batch, o.BatchConnections, o.BatchSize).ConfigureAwait(false);
        }
        Log($"server RSS after the runs: {Proc.RssKb(server.Pid) / 1024.0:0} MB (VmHWM {Proc.PeakRssKb(server.Pid) / 1024.0:0} MB)");
    }

    // ------------------------------------------------------------------ P6: flat cost

    /// <summary>
    /// Both databases are served at once and the runs alternate small, large, small, large…, so the two cases see the
    /// same machine load (an idle Tally costs nothing measurable); with several rounds the verdicts use medians.
    /// </summary>
    private async Task FlatAsync()
    {
        var entityTrack = (int n) => RequestSpec.Post("balances.track", [.. Enumerable.Range(0, n).Select(i =>
            $$"""{"customer_id":"hot","entity_id":"{{Seed.EntityId(i)}}","feature_id":"tokens","value":1}""")]);
        var customerTokens = RequestSpec.Post("balances.track", """{"customer_id":"hot","feature_id":"tokens","value":1}""");

        var large = Path.Combine(o.WorkDir, "flat-large");
        Directory.CreateDirectory(large);
        var db = Path.Combine(large, "tally.db");
        Log($"[flat] large case: {o.FlatCustomers:N0} customers stored, {o.FlatEntities:N0} entities on the hot customer, {o.FlatSources + 1} stacked grants on 'messages'");
        await using (var seeding = await Server.StartAsync(o.ServerDll, db, Path.Combine(large, "server.log"), false, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false))
        {
            await Seed.HotCustomerAsync(seeding, o.FlatEntities, o.FlatSources, Log).ConfigureAwait(false);
            await seeding.StopAsync().ConfigureAwait(false);
        }
        if (o.FlatCustomers > 0)
        {
            Seed.BulkCustomers(db, o.FlatCustomers, Log);
        }
        await using var big = await Server.StartAsync(o.ServerDll, db, Path.Combine(large, "server.log"), o.PerfDir is not null,
            TimeSpan.FromSeconds(120), o.ServerEnv).ConfigureAwait(false);
        var sw = Stopwatch.StartNew();
        var first = await Seed.PostAsync(big.Http, "balances.track", TrackBody).ConfigureAwait(false);
        Log($"[flat] first track after restart (loads the hot customer: {o.FlatEntities:N0} entities and their grants) took {sw.Elapsed.TotalMilliseconds:0} ms: {Trim(first)}");
        Log($"[flat] server RSS with the hot customer loaded: {Proc.RssKb(big.Pid) / 1024.0:0} MB");

        var small = Path.Combine(o.WorkDir, "flat-small");
        Directory.CreateDirectory(small);
        Log("[flat] small case: 1 customer, 1 entity, 1 grant per feature");
        await using var little = await Server.StartAsync(o.ServerDll, Path.Combine(small, "tally.db"), Path.Combine(small, "server.log"),
            o.PerfDir is not null, TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false);
        await Seed.HotCustomerAsync(little, 1, 0, Log).ConfigureAwait(false);

        var largeEntities = entityTrack(Math.Max(1, o.FlatEntities));
        var smallEntities = entityTrack(1);
        await WarmAsync(little, TrackSpec, smallEntities).ConfigureAwait(false);
        await WarmAsync(big, TrackSpec, largeEntities).ConfigureAwait(false);
        var cases = new (Server Server, string Size, RequestSpec Entity)[] { (little, "small", smallEntities), (big, "large", largeEntities) };
        for (var round = 1; round <= o.Rounds; round++)
        {
            var tag = o.Rounds > 1 ? $" round {round}" : "";
            foreach (var (server, size, entity) in cases)
            {
                await MaxAsync("flat", $"{size}: customer-level track (messages){tag}", server, TrackSpec, o.Connections).ConfigureAwait(false);
            }
            foreach (var (server, size, entity) in cases)
            {
                await MaxAsync("flat", $"{size}: entity track (tokens){tag}", server, entity, o.Connections).ConfigureAwait(false);
            }
            foreach (var (server, size, entity) in cases)
            {
                await PacedAsync("flat", $"{size}: customer-level track at {o.FlatRate:N0}/s{tag}", server, TrackSpec, o.FlatRate, 16).ConfigureAwait(false);
            }
            foreach (var (server, size, entity) in cases)
            {
                await PacedAsync("flat", $"{size}: entity track at {o.FlatRate:N0}/s{tag}", server, entity, o.FlatRate, 16).ConfigureAwait(false);
            }
        }
        await WarmAsync(big, customerTokens).ConfigureAwait(false);
        await MaxAsync("flat", "large: customer-level track of the per-entity feature (all entities' grants)", big, customerTokens, o.Connections).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ P5: PostgreSQL

    private async Task PostgresAsync()
    {
        if (string.IsNullOrEmpty(o.Postgres))
        {
            _notes["postgres"] = "pending: no --postgres connection string (bench/run.sh starts a local PostgreSQL 15 once the server has a PostgreSQL store)";
            Log("[postgres] " + _notes["postgres"]);
            return;
        }
        var dir = Path.Combine(o.WorkDir, "postgres");
        Directory.CreateDirectory(dir);
        Server server;
        try
        {
            server = await Server.StartAsync(o.ServerDll, o.Postgres, Path.Combine(dir, "server.log"), o.PerfDir is not null,
                TimeSpan.FromSeconds(60), o.ServerEnv).ConfigureAwait(false);
        }
        catch (ServerFailedException e)
        {
            _notes["postgres"] = "pending the PostgreSQL store (" + e.Message + ")";
            Log("[postgres] " + _notes["postgres"]);
            return;
        }
        await using (server)
        {
            await Seed.HotCustomerAsync(server, 0, 0, Log).ConfigureAwait(false);
            await Seed.ManyCustomersAsync(server, SpreadCustomers, Log).ConfigureAwait(false);
            var spreadTrack = RequestSpec.Post("balances.track", [.. Enumerable.Range(0, SpreadCustomers).Select(i =>
                $$"""{"customer_id":"{{Seed.CustomerId(i)}}","feature_id":"messages","value":1}""")]);
            var spreadCheck = RequestSpec.Post("balances.check", [.. Enumerable.Range(0, SpreadCustomers).Select(i =>
                $$"""{"customer_id":"{{Seed.CustomerId(i)}}","feature_id":"messages","required_balance":1}""")]);
            await WarmAsync(server, Livez, TrackSpec, spreadTrack).ConfigureAwait(false);
            await MaxAsync("postgres", "GET /livez (PostgreSQL server)", server, Livez, o.Connections).ConfigureAwait(false);
            await MaxAsync("postgres", "balances.track, one customer (PostgreSQL)", server, TrackSpec, o.Connections).ConfigureAwait(false);
            await MaxAsync("postgres", "balances.check, one customer (PostgreSQL)", server, CheckSpec, o.Connections).ConfigureAwait(false);
            await MaxAsync("postgres", $"balances.track, {SpreadCustomers:N0} customers (PostgreSQL)", server, spreadTrack, o.Connections).ConfigureAwait(false);
            await MaxAsync("postgres", $"balances.check, {SpreadCustomers:N0} customers (PostgreSQL)", server, spreadCheck, o.Connections).ConfigureAwait(false);
        }
    }

    // ------------------------------------------------------------------ runs

    private Task WarmAsync(Server server, params RequestSpec[] specs) => WarmAsync(server, o.Connections, specs);

    private async Task WarmAsync(Server server, int connections, params RequestSpec[] specs)
    {
        foreach (var spec in specs)
        {
            if (o.Warmup <= 0)
            {
                continue;
            }
            var r = await Wrk.RunAsync(o.Lua, server.BaseUrl, spec, o.Threads, connections, o.Warmup, o.WorkDir, null).ConfigureAwait(false);
            Log($"warm-up {spec.Method} {spec.Path}: {r.Rps:N0} req/s, errors {r.Errors}");
        }
    }

    private async Task<Row> MaxAsync(string scenario, string label, Server server, RequestSpec spec, int connections, int eventsPerRequest = 1)
    {
        var row = await _measure.RunAsync(scenario, label, "wrk", connections, server, o.Duration,
            sampler => Wrk.RunAsync(o.Lua, server.BaseUrl, spec, o.Threads, connections, o.Duration, o.WorkDir, sampler),
            eventsPerRequest).ConfigureAwait(false);
        Record(row);
        return row;
    }

    private async Task<Row> PacedAsync(string scenario, string label, Server server, RequestSpec spec, double rate, int connections)
    {
        if (o.Warmup > 0)
        {
            // The same paced load unrecorded first: a low, steady rate takes code paths (and tier-up) of its own.
            var w = await PacedC.TryRunAsync(o, server.Port, spec, rate, connections, o.Warmup).ConfigureAwait(false)
                ?? await Paced.RunAsync(server.Port, spec, rate, connections, o.Warmup).ConfigureAwait(false);
            Log($"warm-up paced {spec.Path} at {rate:N0}/s: p99 {w.P99Ms:0.00} ms, errors {w.Errors}");
        }
        // The C client when gcc can build it (it keeps its schedule on two cores), else the .NET one.
        var native = await PacedC.BuildAsync(o).ConfigureAwait(false) is not null;
        var row = await _measure.RunAsync(scenario, label, native ? "pace (C)" : "paced (.NET)", connections, server, o.Duration,
            async _ => await PacedC.TryRunAsync(o, server.Port, spec, rate, connections, o.Duration).ConfigureAwait(false)
                ?? await Paced.RunAsync(server.Port, spec, rate, connections, o.Duration).ConfigureAwait(false)).ConfigureAwait(false);
        Record(row);
        return row;
    }

    private void Record(Row row)
    {
        _rows.Add(row);
        Console.WriteLine(row.Format());
        if (row.Load.Errors > 0)
        {
            Console.WriteLine($"    WARNING: {row.Load.Errors} errors (non-2xx or socket errors) in this run");
        }
    }

    private static double MedianRps(List<Row> rows)
    {
        var s = rows.Select(r => r.Rps).OrderBy(x => x).ToList();
        return s.Count == 0 ? 0 : s[s.Count / 2];
    }

    private void Median(string name, List<Row> rows)
    {
        if (rows.Count > 1)
        {
            Log($"[{name}] median of {rows.Count} rounds: {MedianRps(rows):N0} req/s (rounds: {string.Join(", ", rows.Select(r => r.Rps.ToString("N0", CultureInfo.InvariantCulture)))})");
        }
    }

    // ------------------------------------------------------------------ summary

    private void Summary()
    {
        Console.WriteLine();
        Console.WriteLine("== Summary ==");
        Console.WriteLine($"load average at the end: {Proc.LoadAverage()} on {Environment.ProcessorCount} cores");
        if (_notes.TryGetValue("fsync", out var fsync))
        {
            Console.WriteLine("fsync: " + fsync);
        }
        if (_notes.TryGetValue("resident", out var resident))
        {
            Console.WriteLine("resident: " + resident);
        }
        if (_notes.TryGetValue("dashboard", out var dashboard))
        {
            Console.WriteLine("dashboard (" + o.FlatCustomers.ToString("N0", CultureInfo.InvariantCulture) + " customers):\n  " + dashboard.Replace("\n", "\n  ", StringComparison.Ordinal));
        }
        foreach (var (name, note) in _notes.Where(n => n.Key.StartsWith("aggregate-", StringComparison.Ordinal) || n.Key.StartsWith("controls-", StringComparison.Ordinal)))
        {
            Console.WriteLine($"{name}: {note}");
        }
        if (_notes.TryGetValue("audit", out var audit))
        {
            Console.WriteLine("audit: " + audit);
        }
        if (_notes.TryGetValue("peers", out var peers))
        {
            Console.WriteLine(peers);
        }
        Console.WriteLine();
        Console.WriteLine("| scenario | run | req/s | events/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | peak RSS MB | syncs/s | load avg (1m) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in _rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Label} | {r.Rps:N0} | {r.EventsPerSecond:N0} | {r.Load.P50Ms:0.00} | {r.Load.P99Ms:0.00} | {r.Load.P999Ms:0.00} | {r.CpuUsPerRequest:0} | {r.PeakRssKb / 1024.0:0} | {(r.SyncsPerSecond is { } s ? s.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {r.LoadAfter.Split(' ')[0]} |"));
        }
        Console.WriteLine();
        Console.WriteLine("Targets (measured side by side in this run):");
        double? Med(string scenario) => _rows.Where(r => r.Scenario == scenario).Select(r => r.Rps).OrderBy(x => x).ToList() is { Count: > 0 } l ? l[l.Count / 2] : null;
        var livez = Med("livez");
        var track = Med("track");
        var check = Med("check");
        Verdict("P1 track >= 30,000/s (one customer, 64 connections, durable)", track, v => v >= 30000, v => $"{v:N0}/s");
        if (livez is { } lz && lz > 0)
        {
            Verdict("P2 track >= 50% of /livez", track / lz, v => v >= 0.5, v => $"{v:P0} ({track:N0} / {lz:N0})");
            Verdict("P2 check >= 70% of /livez", check / lz, v => v >= 0.7, v => $"{v:P0} ({check:N0} / {lz:N0})");
        }
        var paced = _rows.FirstOrDefault(r => r.Scenario == "check-paced");
        Verdict("P3 check p99 <= 2 ms at 50% of max check load", paced?.Load.P99Ms, v => v <= 2,
            v => $"p99 {v:0.00} ms at {paced!.Load.TargetRate:N0}/s (from actual send: {paced.Load.UncorrectedP99Ms:0.00} ms)");
        Console.WriteLine("  P3 engine-only check <= 5 us, 0 B beyond the result: see the BenchmarkDotNet section (bench/Tally.Benchmarks)");
        var batch = _rows.FirstOrDefault(r => r.Scenario == "batch");
        Verdict("P4 batch_track >= 300,000 events/s", batch?.EventsPerSecond, v => v >= 300000, v => $"{v:N0} events/s");
        var pgRows = _rows.Where(r => r.Scenario == "postgres" && r.Label.StartsWith("balances.track", StringComparison.Ordinal)).ToList();
        if (pgRows.Count > 0)
        {
            foreach (var pg in pgRows)
            {
                Verdict($"P5 PostgreSQL track >= 10,000/s ({pg.Label})", pg.Rps, v => v >= 10000, v => $"{v:N0}/s");
            }
        }
        else
        {
            Console.WriteLine($"  P5 PostgreSQL track >= 10,000/s: {(_notes.TryGetValue("postgres", out var n) ? n : "not run")}");
        }
        FlatVerdicts();
        var trackRow = _rows.Where(r => r.Scenario == "track").OrderBy(r => r.Rps).ToList() is { Count: > 0 } tr ? tr[tr.Count / 2] : null;
        Verdict("P6 server RSS under P1 load <= 300 MB", trackRow?.PeakRssKb / 1024.0, v => v <= 300, v => $"peak {v:0} MB");
        WebhookVerdict();
    }

    private void FlatVerdicts()
    {
        foreach (var (kind, what) in new[] { ("customer-level track", "customer-level track (messages)"), ("entity track", "entity track (tokens)") })
        {
            List<Row> Find(string size, string tool) => [.. _rows.Where(r => r.Scenario == "flat" && r.Tool == tool
                && r.Label.StartsWith(size + ": " + kind + (tool == "wrk" ? " (" : " at"), StringComparison.Ordinal))];
            static double Med(IEnumerable<double> values)
            {
                var l = values.OrderBy(v => v).ToList();
                return l.Count == 0 ? double.NaN : l[l.Count / 2];
            }
            var sp = Find("small", "paced");
            var lp = Find("large", "paced");
            var sm = Find("small", "wrk");
            var lm = Find("large", "wrk");
            if (sp.Count == 0 || lp.Count == 0 || sm.Count == 0 || lm.Count == 0)
            {
                continue;
            }
            var n = sp.Count > 1 ? $", medians of {sp.Count} rounds" : "";
            double sp50 = Med(sp.Select(r => r.Load.P50Ms)), lp50 = Med(lp.Select(r => r.Load.P50Ms));
            double sp99 = Med(sp.Select(r => r.Load.P99Ms)), lp99 = Med(lp.Select(r => r.Load.P99Ms));
            double scpu = Med(sm.Select(r => r.CpuUsPerRequest)), lcpu = Med(lm.Select(r => r.CpuUsPerRequest));
            double srps = Med(sm.Select(r => r.Rps)), lrps = Med(lm.Select(r => r.Rps));
            Verdict($"P6 {what}: large/small paced p50 <= 1.2", lp50 / sp50, v => v <= 1.2,
                v => $"{v:0.00} ({lp50:0.00} / {sp50:0.00} ms; p99 {lp99:0.00} / {sp99:0.00} ms{n})");
            Verdict($"P6 {what}: large/small server CPU per request <= 1.2", lcpu / scpu, v => v <= 1.2,
                v => $"{v:0.00} ({lcpu:0} / {scpu:0} us; max {lrps:N0} / {srps:N0} req/s{n})");
        }
    }

    private static void Verdict(string name, double? value, Func<double, bool> met, Func<double, string> show)
    {
        Console.WriteLine(value is { } v && !double.IsNaN(v)
            ? $"  {name}: {show(v)} -> {(met(v) ? "MET" : "NOT MET")}"
            : $"  {name}: not measured");
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
