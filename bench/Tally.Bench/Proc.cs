using System.Globalization;

namespace Tally.Bench;

/// <summary>CPU time of one thread (or process) in clock ticks, as /proc reports it.</summary>
internal sealed record ThreadTicks(int Tid, string Name, long Ticks);

/// <summary>Reads what the kernel knows about a process: RSS, CPU time, per-thread CPU time, load average.</summary>
internal static class Proc
{
    /// <summary>USER_HZ: /proc reports CPU times in 1/100 s on every Linux build .NET runs on.</summary>
    public const double TicksPerSecond = 100.0;

    public static long RssKb(int pid) => StatusField(pid, "VmRSS:");

    public static long PeakRssKb(int pid) => StatusField(pid, "VmHWM:");

    private static long StatusField(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>utime + stime of a process (all its threads), in ticks; 0 if it is gone.</summary>
    public static long CpuTicks(int pid) => ReadStat($"/proc/{pid}/stat")?.Ticks ?? 0;

    public static List<ThreadTicks> Threads(int pid)
    {
        var list = new List<ThreadTicks>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (ReadStat(Path.Combine(dir, "stat")) is { } t)
                {
                    list.Add(t);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return list;
    }

    private static ThreadTicks? ReadStat(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // "tid (comm) state ppid ..." — comm may hold spaces and parentheses, so split at the last ')'.
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }
        var tid = int.Parse(text[..open].Trim(), CultureInfo.InvariantCulture);
        var name = text[(open + 1)..close];
        var rest = text[(close + 2)..].Split(' ');
        // rest[0] is field 3 (state); utime is field 14 and stime field 15.
        var utime = long.Parse(rest[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(rest[12], CultureInfo.InvariantCulture);
        return new ThreadTicks(tid, name, utime + stime);
    }

    /// <summary>Busy and total ticks of the whole machine (all cores), from /proc/stat.</summary>
    public static (long Busy, long Total) MachineTicks()
    {
        var first = File.ReadLines("/proc/stat").First();
        var v = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var idle = v[3] + (v.Length > 4 ? v[4] : 0);
        var total = v.Take(Math.Min(v.Length, 8)).Sum();
        return (total - idle, total);
    }

    public static string LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{parts[0]} {parts[1]} {parts[2]}";
    }

    /// <summary>True when the directory lives on a RAM file system, where fsync proves nothing.</summary>
    public static string? FileSystemOf(string dir)
    {
        var full = Path.GetFullPath(dir);
        string? best = null;
        var bestLen = -1;
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var p = line.Split(' ');
            if (p.Length < 3)
            {
                continue;
            }
            var mount = p[1];
            if ((full == mount || full.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal) || mount == "/") && mount.Length > bestLen)
            {
                best = $"{p[2]} ({p[0]} on {mount})";
                bestLen = mount.Length;
            }
        }
        return best;
    }
}

/// <summary>Samples a process while a load runs: peak RSS, and the CPU the load generator used.</summary>
internal sealed class Sampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakRssKb;
    private long _lastRssKb;
    private long _samples;
    private long _rssSumKb;

    public Sampler(int pid, TimeSpan every)
    {
        _pid = pid;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(every);
            do
            {
                var rss = Proc.RssKb(_pid);
                if (rss > 0)
                {
                    _lastRssKb = rss;
                    _peakRssKb = Math.Max(_peakRssKb, rss);
                    _rssSumKb += rss;
                    _samples++;
                }
                WatchedProcess[] watched;
                lock (_watched)
                {
                    watched = [.. _watched];
                }
                foreach (var w in watched)
                {
                    w.Sample();
                }
            }
            while (await WaitAsync(timer).ConfigureAwait(false));
        });
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private readonly List<WatchedProcess> _watched = [];

    /// <summary>Also samples another process whose CPU time should be known when it exits (wrk).</summary>
    public void Watch(WatchedProcess p)
    {
        lock (_watched)
        {
            _watched.Add(p);
        }
    }

    public long PeakRssKb => _peakRssKb;

    public long LastRssKb => _lastRssKb;

    public long MeanRssKb => _samples == 0 ? 0 : _rssSumKb / _samples;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>A child process whose last seen CPU time is kept, since /proc forgets it at exit.</summary>
internal sealed class WatchedProcess(int pid)
{
    private long _ticks;

    public int Pid { get; } = pid;

    public long Ticks => Volatile.Read(ref _ticks);

    public void Sample()
    {
        var t = Proc.CpuTicks(Pid);
        if (t > 0)
        {
            Volatile.Write(ref _ticks, t);
        }
    }
}
