using System.Globalization;
using System.Text;
using Npgsql;

namespace Tally.Bench;

/// <summary>
/// The "peers" scenario (issue #17): the same track/check workload, in one run, against Tally on SQLite, Tally on
/// PostgreSQL (with --postgres) and the naive baseline (bench/Tally.Naive: one balance row, <c>UPDATE … RETURNING</c>
/// + <c>INSERT</c> + <c>COMMIT</c> per track) on the same PostgreSQL cluster and on SQLite. All servers are up at once
/// and the runs go workload by workload, server by server, so each comparison sees the same machine load; each
/// server's own /livez is measured beside them as its floor. PostgreSQL's own CPU is counted separately (the whole
/// cluster's processes, when its data directory is readable here), because the naive design spends most of its time
/// there. Each server gets a fresh database in the --postgres cluster, dropped at the end unless --keep.
/// </summary>
internal sealed partial class Bench
{
    private const string PeersScenario = "peers";

    private readonly List<PeerRun> _peerRuns = [];

    private sealed record Peer(string Name, Server Server, PgCluster? Db);

    private sealed record PeerRun(string Peer, string Workload, Row Row, double? DbUsPerRequest);

    private async Task PeersAsync()
    {
        var dir = Path.Combine(o.WorkDir, PeersScenario);
        Directory.CreateDirectory(dir);
        var naive = File.Exists(o.NaiveDll);
        if (!naive)
        {
            Log($"[peers] {o.NaiveDll} is missing (dotnet build bench/Tally.Naive -c Release): the naive rows are skipped");
        }
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        var peers = new List<Peer>();
        var databases = new List<string>();
        PgCluster? pg = null;
        try
        {
            var tallyLite = await StartPeerAsync(o.ServerDll, Path.Combine(dir, "tally.db"), dir, "tally-sqlite").ConfigureAwait(false);
            peers.Add(new Peer("Tally, SQLite", tallyLite, null));
            await SeedTallyAsync(tallyLite).ConfigureAwait(false);
            if (o.Postgres is { } cs)
            {
                pg = await PgCluster.OpenAsync(cs, Log).ConfigureAwait(false);
                var tallyDb = await pg.CreateDatabaseAsync("peers_tally_" + stamp).ConfigureAwait(false);
                databases.Add(tallyDb.Name);
                var tallyPg = await StartPeerAsync(o.ServerDll, tallyDb.ConnectionString, dir, "tally-postgres").ConfigureAwait(false);
                peers.Add(new Peer("Tally, PostgreSQL", tallyPg, pg));
                await SeedTallyAsync(tallyPg).ConfigureAwait(false);
                if (naive)
                {
                    var naiveDb = await pg.CreateDatabaseAsync("peers_naive_" + stamp).ConfigureAwait(false);
                    databases.Add(naiveDb.Name);
                    var naivePg = await StartPeerAsync(o.NaiveDll, naiveDb.ConnectionString, dir, "naive-postgres").ConfigureAwait(false);
                    peers.Add(new Peer("naive, PostgreSQL", naivePg, pg));
                    await SeedNaiveAsync(naivePg).ConfigureAwait(false);
                }
            }
            else
            {
                Log("[peers] no --postgres connection string: the PostgreSQL rows (Tally and naive) are skipped");
            }
            if (naive)
            {
                var naiveLite = await StartPeerAsync(o.NaiveDll, Path.Combine(dir, "naive.db"), dir, "naive-sqlite").ConfigureAwait(false);
                peers.Add(new Peer("naive, SQLite", naiveLite, null));
                await SeedNaiveAsync(naiveLite).ConfigureAwait(false);
            }
            await MeasurePeersAsync(peers).ConfigureAwait(false);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.Server.DisposeAsync().ConfigureAwait(false);
            }
            if (pg is not null)
            {
                if (!o.Keep)
                {
                    await pg.DropDatabasesAsync(databases).ConfigureAwait(false);
                }
                await pg.DisposeAsync().ConfigureAwait(false);
            }
        }
        PeersTable(pg);
    }

    private async Task<Server> StartPeerAsync(string dll, string database, string dir, string name)
    {
        Log($"[peers] starting {name}");
        return await Server.StartAsync(dll, database, Path.Combine(dir, name + ".log"), o.PerfDir is not null, TimeSpan.FromSeconds(120),
            o.ServerEnv).ConfigureAwait(false);
    }

    private static async Task SeedTallyAsync(Server server)
    {
        await Seed.HotCustomerAsync(server, 0, 0, _ => { }).ConfigureAwait(false);
        await Seed.ManyCustomersAsync(server, SpreadCustomers, _ => { }).ConfigureAwait(false);
    }

    /// <summary>The naive server's rows: the same customers and the same 1e9 balance on 'messages' as Tally's plan.</summary>
    private static async Task SeedNaiveAsync(Server server)
    {
        var ids = new[] { Seed.Hot }.Concat(Enumerable.Range(0, SpreadCustomers).Select(Seed.CustomerId));
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, _) =>
            await Seed.PostAsync(server.Http, "balances.create",
                $$"""{"customer_id":"{{id}}","feature_id":"messages","included_grant":1000000000}""").ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task MeasurePeersAsync(List<Peer> peers)
    {
        var spreadTrack = RequestSpec.Post("balances.track", [.. Enumerable.Range(0, SpreadCustomers).Select(i =>
            $$"""{"customer_id":"{{Seed.CustomerId(i)}}","feature_id":"messages","value":1}""")]);
        var spreadCheck = RequestSpec.Post("balances.check", [.. Enumerable.Range(0, SpreadCustomers).Select(i =>
            $$"""{"customer_id":"{{Seed.CustomerId(i)}}","feature_id":"messages","required_balance":1}""")]);
        var workloads = new (string Name, RequestSpec Spec)[]
        {
            ("GET /livez", Livez),
            ("track, one customer", TrackSpec),
            ("check, one customer", CheckSpec),
            ($"track, {SpreadCustomers:N0} customers", spreadTrack),
            ($"check, {SpreadCustomers:N0} customers", spreadCheck),
        };
        foreach (var peer in peers)
        {
            Log($"[peers] {peer.Name}: sanity track {Trim(await Seed.PostAsync(peer.Server.Http, "balances.track", TrackBody).ConfigureAwait(false))}");
            Log($"[peers] {peer.Name}: sanity check {Trim(await Seed.PostAsync(peer.Server.Http, "balances.check", CheckBody).ConfigureAwait(false))}");
            await WarmAsync(peer.Server, [.. workloads.Select(w => w.Spec)]).ConfigureAwait(false);
        }
        for (var round = 1; round <= o.Rounds; round++)
        {
            var tag = o.Rounds > 1 ? $" round {round}" : "";
            foreach (var (name, spec) in workloads)
            {
                foreach (var peer in peers)
                {
                    var before = peer.Db?.CpuTicks();
                    var row = await MaxAsync(PeersScenario, $"{peer.Name}: {name}{tag}", peer.Server, spec, o.Connections).ConfigureAwait(false);
                    double? dbUs = null;
                    if (before is { } b && peer.Db!.CpuTicks() is { } a && row.Load.Requests > 0)
                    {
                        dbUs = (a - b) / Proc.TicksPerSecond * 1e6 / row.Load.Requests;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    PostgreSQL cluster CPU: {dbUs:0.0} us/request"));
                    }
                    _peerRuns.Add(new PeerRun(peer.Name, name, row, dbUs));
                }
            }
        }
    }

    /// <summary>
    /// The same-machine table: per workload and server the median round by req/s, its latency and CPU, the ratio to
    /// the naive PostgreSQL design, and the share of that server's own /livez.
    /// </summary>
    private void PeersTable(PgCluster? pg)
    {
        if (_peerRuns.Count == 0)
        {
            return;
        }
        PeerRun MedianOf(IEnumerable<PeerRun> runs)
        {
            var l = runs.OrderBy(r => r.Row.Rps).ToList();
            return l[l.Count / 2];
        }
        var medians = _peerRuns.GroupBy(r => (r.Workload, r.Peer)).ToDictionary(g => g.Key, g => MedianOf(g));
        var workloads = _peerRuns.Select(r => r.Workload).Distinct().ToList();
        var peers = _peerRuns.Select(r => r.Peer).Distinct().ToList();
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Peers, same machine, one run (wrk -t{o.Threads} -c{o.Connections}, {o.Duration:0} s per run, {o.Rounds} round(s), medians by req/s; load average now {Proc.LoadAverage()})");
        if (pg is not null)
        {
            sb.AppendLine("PostgreSQL: " + pg.Describe);
        }
        sb.AppendLine();
        sb.AppendLine("| workload | server | req/s | × naive PostgreSQL | % of its /livez | p50 ms | p99 ms | server CPU µs/req | PostgreSQL CPU µs/req | errors | load avg (1m) |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var w in workloads)
        {
            medians.TryGetValue((w, "naive, PostgreSQL"), out var floor);
            foreach (var p in peers)
            {
                if (!medians.TryGetValue((w, p), out var run))
                {
                    continue;
                }
                medians.TryGetValue((workloads[0], p), out var livez);
                var r = run.Row;
                var vsNaive = floor is not null && floor.Row.Rps > 0 && w != workloads[0] ? $"{r.Rps / floor.Row.Rps:0.0}×" : "";
                var ofLivez = livez is not null && livez.Row.Rps > 0 && w != workloads[0] ? $"{r.Rps / livez.Row.Rps:P0}" : "";
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {w} | {p} | {r.Rps:N0} | {vsNaive} | {ofLivez} | {r.Load.P50Ms:0.00} | {r.Load.P99Ms:0.00} | {r.CpuUsPerRequest:0} | {(run.DbUsPerRequest is { } d ? d.ToString("0", CultureInfo.InvariantCulture) : "-")} | {r.Load.Errors} | {r.LoadAfter.Split(' ')[0]} |"));
            }
        }
        var table = sb.ToString();
        Console.WriteLine();
        Console.WriteLine(table);
        _notes["peers"] = table;
    }
}

/// <summary>
/// The --postgres cluster as the peers scenario uses it: fresh databases per server, its durability settings, and the
/// CPU time of all its processes (postmaster, backends, background workers; read from /proc through the
/// postmaster.pid in its data directory, so only for a cluster on this machine that this user can read).
/// </summary>
internal sealed class PgCluster : IAsyncDisposable
{
    private readonly NpgsqlDataSource _admin;
    private readonly string _connectionString;
    private readonly int? _postmaster;

    private PgCluster(NpgsqlDataSource admin, string connectionString, int? postmaster, string describe)
    {
        _admin = admin;
        _connectionString = connectionString;
        _postmaster = postmaster;
        Describe = describe;
    }

    public string Describe { get; }

    public static async Task<PgCluster> OpenAsync(string connectionString, Action<string> log)
    {
        var admin = NpgsqlDataSource.Create(connectionString);
        await using var cmd = admin.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('data_directory'), current_setting('max_connections')");
        await using var r = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
        await r.ReadAsync().ConfigureAwait(false);
        var (version, fsync, sync, dataDir, maxConn) = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4));
        int? postmaster = null;
        try
        {
            postmaster = int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            log($"[peers] cannot read {dataDir}/postmaster.pid ({e.GetType().Name}): PostgreSQL CPU is not counted");
        }
        var describe = $"{version}, fsync={fsync}, synchronous_commit={sync}, max_connections={maxConn}, data directory {dataDir} on {Proc.FileSystemOf(dataDir) ?? "?"}";
        log("[peers] PostgreSQL " + describe);
        if (fsync != "on")
        {
            log("[peers] WARNING: this cluster runs with fsync off: its commits are not durable and its rows are not comparable to Tally on SQLite");
        }
        return new PgCluster(admin, connectionString, postmaster, describe);
    }

    public async Task<(string Name, string ConnectionString)> CreateDatabaseAsync(string name)
    {
        await using (var cmd = _admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        return (name, new NpgsqlConnectionStringBuilder(_connectionString) { Database = name }.ToString());
    }

    public async Task DropDatabasesAsync(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            await using var cmd = _admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// User + system ticks of the postmaster, the children it has reaped, and its live children; null when unknown.
    /// Connections are pooled, so backends live through a run and the reaped share stays small.
    /// </summary>
    public long? CpuTicks()
    {
        if (_postmaster is not { } pm || Stat(pm) is not { } root)
        {
            return null;
        }
        var total = root.Own + root.Children;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != pm
                && Stat(pid) is { } s && s.Parent == pm)
            {
                total += s.Own;
            }
        }
        return total;
    }

    private static (int Parent, long Own, long Children)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // After "pid (comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), counted from field 3.
        var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long F(int field) => long.Parse(rest[field - 3], CultureInfo.InvariantCulture);
        return ((int)F(4), F(14) + F(15), F(16) + F(17));
    }

    public ValueTask DisposeAsync() => _admin.DisposeAsync();
}
