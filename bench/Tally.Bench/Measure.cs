using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tally.Bench;

/// <summary>One measured run: the client's view plus what the server process and the machine did meanwhile.</summary>
internal sealed record Row
{
    public required string Scenario { get; init; }
    public required string Label { get; init; }
    public required string Tool { get; init; }
    public required int Connections { get; init; }
    public required LoadResult Load { get; init; }
    public int EventsPerRequest { get; init; } = 1;
    public long PeakRssKb { get; init; }
    public double ServerCores { get; init; }
    public double WrkCores { get; init; }
    public double MachineBusy { get; init; }
    public double? SyncsPerSecond { get; init; }
    public string LoadBefore { get; init; } = "";
    public string LoadAfter { get; init; } = "";
    public string Threads { get; init; } = "";
    public double BusiestThreadCores { get; init; }

    public double Rps => Load.Rps;

    public double EventsPerSecond => Load.Rps * EventsPerRequest;

    public double CpuUsPerRequest => Load.Requests > 0 ? ServerCores * Load.Seconds * 1e6 / Load.Requests : 0;

    public string Format()
    {
        var l = Load;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[{Scenario}] {Label}: {l.Rps,9:N0} req/s");
        if (EventsPerRequest != 1)
        {
            sb.Append(CultureInfo.InvariantCulture, $" = {EventsPerSecond:N0} events/s");
        }
        sb.Append(CultureInfo.InvariantCulture, $" ({l.Requests:N0} in {l.Seconds:0.0} s, {Tool} c={Connections}, errors {l.Errors})");
        if (l.TargetRate is { } rate)
        {
            sb.Append(CultureInfo.InvariantCulture, $" target {rate:N0}/s, sends >1 ms late {l.Late}, send lag p99 {l.SendLagP99Ms:0.00} ms");
        }
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture,
            $"    latency ms: p50 {l.P50Ms:0.000}  p90 {l.P90Ms:0.000}  p99 {l.P99Ms:0.000}  p99.9 {l.P999Ms:0.000}  max {l.MaxMs:0.0}  mean {l.MeanMs:0.000}");
        if (l.UncorrectedP99Ms is { } u)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  (p99 from actual send: {u:0.000})");
        }
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture,
            $"    server: {ServerCores:0.00} cores = {CpuUsPerRequest:0.0} us CPU/request, busiest thread {BusiestThreadCores:0.00} cores, peak RSS {PeakRssKb / 1024.0:0} MB;"
            + $" load generator {WrkCores:0.00} cores; machine busy {MachineBusy:P0}");
        if (SyncsPerSecond is { } s)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; fsync+fdatasync {s:N0}/s = {(s > 0 ? EventsPerSecond / s : 0):0.0} events/sync");
        }
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"    load average before: {LoadBefore}, after: {LoadAfter}\n");
        sb.Append(CultureInfo.InvariantCulture, $"    server threads (cores): {Threads}");
        return sb.ToString();
    }
}

/// <summary>Wraps a load run with the server-side sampling: CPU (process and per thread), RSS, syncs, perf profile.</summary>
internal sealed class Measurer(Options options, Action<string> log)
{
    private bool? _perfStat;

    public async Task<Row> RunAsync(string scenario, string label, string tool, int connections, Server server, double seconds,
        Func<Sampler, Task<LoadResult>> load, int eventsPerRequest = 1)
    {
        var pid = server.Pid;
        var loadBefore = Proc.LoadAverage();
        var threadsBefore = Proc.Threads(pid).ToDictionary(t => t.Tid);
        var cpuBefore = Proc.CpuTicks(pid);
        var machineBefore = Proc.MachineTicks();
        var syncs = await PerfStatAvailableAsync().ConfigureAwait(false) ? StartPerfStat(pid, seconds) : null;
        var profile = options.PerfDir is { } dir ? StartPerfRecord(pid, seconds, Path.Combine(dir, Slug(scenario, label) + ".data")) : null;
        var sw = Stopwatch.StartNew();
        LoadResult result;
        long peak;
        await using (var sampler = new Sampler(pid, TimeSpan.FromMilliseconds(100)))
        {
            result = await load(sampler).ConfigureAwait(false);
            peak = sampler.PeakRssKb;
        }
        var elapsed = sw.Elapsed.TotalSeconds;
        var cpuAfter = Proc.CpuTicks(pid);
        var machineAfter = Proc.MachineTicks();
        var threadsAfter = Proc.Threads(pid);
        var loadAfter = Proc.LoadAverage();
        double? syncsPerSecond = null;
        if (syncs is not null)
        {
            var count = await FinishPerfStatAsync(syncs).ConfigureAwait(false);
            syncsPerSecond = count / Math.Max(0.001, Math.Min(seconds, elapsed));
        }
        if (profile is not null)
        {
            await FinishPerfRecordAsync(profile, Path.Combine(options.PerfDir!, Slug(scenario, label))).ConfigureAwait(false);
        }
        var deltas = threadsAfter
            .Select(t => (t.Name, Cores: (t.Ticks - (threadsBefore.TryGetValue(t.Tid, out var b) ? b.Ticks : 0)) / Proc.TicksPerSecond / elapsed))
            .ToList();
        var groups = deltas.GroupBy(d => d.Name)
            .Select(g => (Name: g.Key, Count: g.Count(), Cores: g.Sum(x => x.Cores)))
            .Where(g => g.Cores >= 0.005)
            .OrderByDescending(g => g.Cores)
            .Take(8)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Name} x{g.Count} {g.Cores:0.00}"));
        return new Row
        {
            Scenario = scenario,
            Label = label,
            Tool = tool,
            Connections = connections,
            Load = result,
            EventsPerRequest = eventsPerRequest,
            PeakRssKb = peak,
            ServerCores = (cpuAfter - cpuBefore) / Proc.TicksPerSecond / elapsed,
            WrkCores = WrkCoresOf(result, elapsed),
            MachineBusy = (machineAfter.Total - machineBefore.Total) == 0 ? 0
                : (machineAfter.Busy - machineBefore.Busy) / (double)(machineAfter.Total - machineBefore.Total),
            SyncsPerSecond = syncsPerSecond,
            LoadBefore = loadBefore,
            LoadAfter = loadAfter,
            Threads = string.Join("; ", groups),
            BusiestThreadCores = deltas.Count == 0 ? 0 : deltas.Max(d => d.Cores),
        };

        double WrkCoresOf(LoadResult r, double secs) => r.ClientTicks / Proc.TicksPerSecond / secs;
    }

    private static string Slug(string scenario, string label) =>
        new((scenario + "-" + label).Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());

    private async Task<bool> PerfStatAvailableAsync()
    {
        if (_perfStat is { } known)
        {
            return known;
        }
        try
        {
            var psi = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "stat", "-x,", "-e", "syscalls:sys_enter_fdatasync", "--", "true" })
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var err = await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await p.WaitForExitAsync().ConfigureAwait(false);
            _perfStat = p.ExitCode == 0 && err.Contains("sys_enter_fdatasync", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            _perfStat = false;
        }
        if (_perfStat == false)
        {
            log("perf stat with syscall tracepoints is not available: fsync counts are skipped");
        }
        return _perfStat.Value;
    }

    private static Process StartPerfStat(int pid, double seconds)
    {
        var psi = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "stat", "-x,", "-e", "syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync", "-p", pid.ToString(CultureInfo.InvariantCulture),
            "--", "sleep", seconds.ToString("0.###", CultureInfo.InvariantCulture),
        })
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    private static async Task<double> FinishPerfStatAsync(Process p)
    {
        var err = await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await p.WaitForExitAsync().ConfigureAwait(false);
        p.Dispose();
        double total = 0;
        foreach (var line in err.Split('\n'))
        {
            var f = line.Split(',');
            if (f.Length > 2 && f[2].StartsWith("syscalls:", StringComparison.Ordinal) && double.TryParse(f[0], CultureInfo.InvariantCulture, out var n))
            {
                total += n;
            }
        }
        return total;
    }

    private static Process StartPerfRecord(int pid, double seconds, string output)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var psi = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "record", "-e", "cpu-clock", "-F", "999", "-g", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", output,
            "--", "sleep", seconds.ToString("0.###", CultureInfo.InvariantCulture),
        })
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    private async Task FinishPerfRecordAsync(Process p, string prefix)
    {
        await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await p.WaitForExitAsync().ConfigureAwait(false);
        p.Dispose();
        foreach (var (suffix, sort) in new[] { ("dso", "dso"), ("sym", "dso,sym") })
        {
            var psi = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "report", "-i", prefix + ".data", "--no-children", "--sort", sort, "--stdio", "--percent-limit", "0.3", "-g", "none" })
            {
                psi.ArgumentList.Add(a);
            }
            using var r = Process.Start(psi)!;
            var text = await r.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await r.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await r.WaitForExitAsync().ConfigureAwait(false);
            await File.WriteAllTextAsync($"{prefix}.{suffix}.txt", text).ConfigureAwait(false);
        }
        log($"    perf profile: {prefix}.dso.txt, {prefix}.sym.txt");
    }
}
