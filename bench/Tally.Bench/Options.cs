using System.Globalization;

namespace Tally.Bench;

internal sealed record Options
{
    public string Root { get; init; } = "";
    public string ServerDll { get; init; } = "";
    public string NaiveDll { get; init; } = "";
    public string Lua { get; init; } = "";
    public string WorkDir { get; init; } = "";
    public double Duration { get; init; } = 10;
    public double Warmup { get; init; } = 3;
    public int Connections { get; init; } = 64;
    public int Threads { get; init; } = 2;
    public int Rounds { get; init; } = 1;
    public int BatchConnections { get; init; } = 8;
    public int BatchSize { get; init; } = 1000;
    public int FlatCustomers { get; init; } = 1_000_000;
    public int FlatEntities { get; init; } = 10_000;
    public int FlatSources { get; init; } = 100;
    public double FlatRate { get; init; } = 1000;
    public double? CheckRate { get; init; }
    public string? Postgres { get; init; }
    public string? PerfDir { get; init; }
    public bool Keep { get; init; }
    public int ResidentCustomers { get; init; } = 1_000_000;
    public double WebhookRate { get; init; } = 100;
    public IReadOnlyList<KeyValuePair<string, string>> ServerEnv { get; init; } = [];
    public HashSet<string> Scenarios { get; init; } = [.. Default];

    /// <summary>What runs unless --scenarios says otherwise: "resident", "webhooks", "dashboard", "aggregate", "audit" and "peers" are asked for by name.</summary>
    public static readonly string[] Default = ["fsync", "livez", "track", "check", "check-paced", "batch", "flat", "postgres"];

    public static readonly string[] All = [.. Default, "resident", "webhooks", "dashboard", "aggregate", "audit", "peers"];

    public bool Has(string scenario) => Scenarios.Contains(scenario);

    public const string Usage = """
        Tally.Bench: starts the Release server with a temporary database, seeds it over HTTP and measures it with wrk.
          --server PATH            server dll (default src/Tally.Server/bin/Release/net10.0/Tally.Server.dll)
          --naive PATH             the naive baseline's dll for "peers" (default bench/Tally.Naive/bin/Release/net10.0/Tally.Naive.dll)
          --lua PATH               wrk script (default bench/lua/bench.lua)
          --work DIR               scratch dir for databases and logs (default bench/.work/<time>; must be a real disk)
          --duration S             seconds per measured run (default 10)
          --warmup S               seconds of unrecorded load per route before measuring (default 3)
          --connections N          wrk connections for the max-throughput runs (default 64)
          --threads N              wrk threads (default 2)
          --rounds N               livez/track/check rounds, the median is kept (default 1)
          --batch-connections N    connections for batch_track (default 8)
          --batch-size N           events per batch_track request (default 1000)
          --flat-customers N       idle customers written into SQLite for the flat-cost, dashboard and audit cases (default 1000000)
          --flat-entities N        entities on the hot customer (default 10000)
          --flat-sources N         extra stacked grants on one feature (default 100)
          --flat-rate R            fixed rate of the flat-cost latency runs, req/s (default 1000)
          --check-rate R           fixed rate of check-paced (default: half the measured check maximum)
          --postgres CONNSTR       run the P5 track against TALLY_DATABASE=CONNSTR (a fresh database)
          --perf DIR               also record a perf CPU profile of the server during each wrk run into DIR
          --resident-customers N   customers tracked once each by the resident scenario (default 1000000)
          --webhook-rate R         events/s raised beside the track run of the webhooks scenario (default 100)
          --scenarios a,b,...      any of: fsync, livez, track, check, check-paced, batch, flat, postgres, resident, webhooks,
                                   dashboard, aggregate (1M events, events.aggregate timings, track with/without
                                   controls; also on PostgreSQL with --postgres), audit (admin.audit of --flat-customers),
                                   peers (track/check on Tally SQLite, Tally PostgreSQL and the naive baseline on the
                                   --postgres cluster and SQLite, interleaved; --rounds applies)
                                   (default all but resident, webhooks, dashboard, aggregate, audit and peers; "all" means every one)
          --server-env KEY=VALUE   extra environment for the server (repeatable), e.g. runtime knobs to compare
          --keep                   keep the scratch dir
        """;

    public static Options Parse(string[] args)
    {
        var root = FindRoot();
        var o = new Options
        {
            Root = root,
            ServerDll = Path.Combine(root, "src/Tally.Server/bin/Release/net10.0/Tally.Server.dll"),
            NaiveDll = Path.Combine(root, "bench/Tally.Naive/bin/Release/net10.0/Tally.Naive.dll"),
            Lua = Path.Combine(root, "bench/lua/bench.lua"),
            WorkDir = Path.Combine(root, "bench/.work", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)),
        };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double D() => double.Parse(Next(), CultureInfo.InvariantCulture);
            int N() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--server" => o with { ServerDll = Path.GetFullPath(Next()) },
                "--naive" => o with { NaiveDll = Path.GetFullPath(Next()) },
                "--lua" => o with { Lua = Path.GetFullPath(Next()) },
                "--work" => o with { WorkDir = Path.GetFullPath(Next()) },
                "--duration" => o with { Duration = D() },
                "--warmup" => o with { Warmup = D() },
                "--connections" => o with { Connections = N() },
                "--threads" => o with { Threads = N() },
                "--rounds" => o with { Rounds = N() },
                "--batch-connections" => o with { BatchConnections = N() },
                "--batch-size" => o with { BatchSize = N() },
                "--flat-customers" => o with { FlatCustomers = N() },
                "--flat-entities" => o with { FlatEntities = N() },
                "--flat-sources" => o with { FlatSources = N() },
                "--flat-rate" => o with { FlatRate = D() },
                "--resident-customers" => o with { ResidentCustomers = N() },
                "--check-rate" => o with { CheckRate = D() },
                "--webhook-rate" => o with { WebhookRate = D() },
                "--postgres" => o with { Postgres = Next() },
                "--perf" => o with { PerfDir = Path.GetFullPath(Next()) },
                "--keep" => o with { Keep = true },
                "--server-env" => o with { ServerEnv = [.. o.ServerEnv, Pair(Next())] },
                "--scenarios" => o with { Scenarios = Scenario(Next()) },
                "-h" or "--help" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"unknown option {args[i]}\n{Usage}"),
            };
        }
        return o;
    }

    private static KeyValuePair<string, string> Pair(string text)
    {
        var i = text.IndexOf('=', StringComparison.Ordinal);
        return i > 0 ? new(text[..i], text[(i + 1)..]) : throw new ArgumentException($"--server-env wants KEY=VALUE, not {text}");
    }

    private static HashSet<string> Scenario(string list)
    {
        var set = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        if (set.Contains("all"))
        {
            return [.. All];
        }
        var unknown = set.Except(All).ToList();
        return unknown.Count > 0 ? throw new ArgumentException($"unknown scenario(s): {string.Join(", ", unknown)}") : set;
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Tally.slnx")))
                {
                    return d.FullName;
                }
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
