using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tally.Benchmarks;

/// <summary>
/// Ratios that hold on a loaded machine: the variants of a pair run in alternating batches within one process, each
/// batch timed by the thread's own CPU clock (time spent waiting for a core is not counted), and the report gives the
/// median per-operation cost of each variant and the median of the per-round ratios.
/// Run: dotnet run -c Release --project bench/Tally.Benchmarks -- --interleaved [rounds]
/// </summary>
internal static class Interleaved
{
    public static void Run(int rounds)
    {
        var small = new GrantStackBenchmarks { Grants = 1 };
        var large = new GrantStackBenchmarks { Grants = 101 };
        small.Setup();
        large.Setup();
        var json1 = new SerializationBenchmarks { Sources = 1 };
        var json100 = new SerializationBenchmarks { Sources = 100 };
        json1.Setup();
        json100.Setup();

        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}; {rounds} rounds; thread CPU time per operation");
        Pair("engine check, 101 vs 1 grant", rounds, 4000, () => small.Check(), () => large.Check());
        Pair("engine track + response balances + changes, 101 vs 1 grant", rounds, 2000, () => small.Track(), () => large.Track());
        Pair("track response JSON, 100 vs 1 breakdown entries", rounds, 400, () => json1.TrackResponse(), () => json100.TrackResponse());
        var c1 = new TrackCycleBenchmarks { Grants = 1 };
        var c101 = new TrackCycleBenchmarks { Grants = 101 };
        c1.Setup();
        c101.Setup();
        // Cumulative stages of one customer-level track (TrackCycleBenchmarks): the differences say where the cost goes.
        Pair("cycle: deduct", rounds, 2000, c1.Deduct, c101.Deduct);
        Pair("cycle: + answer balances", rounds, 2000, c1.Balances, c101.Balances);
        Pair("cycle: + changes", rounds, 2000, c1.Changes, c101.Changes);
        Pair("cycle: + state update after commit", rounds, 2000, c1.Committed, c101.Committed);
        Pair("cycle: + answer JSON (whole track)", rounds, 1000, c1.Answered, c101.Answered);
        Pair("cycle: answer JSON with its balances, uncommitted", rounds, 1000, c1.AnswerOnly, c101.AnswerOnly);
        Pair("cycle: + answer written by BalanceJson (whole track)", rounds, 1000, c1.AnsweredWritten, c101.AnsweredWritten);
        Pair("cycle: answer written by BalanceJson with its balances, uncommitted", rounds, 1000, c1.AnswerWrittenOnly, c101.AnswerWrittenOnly);
        Pair("101 grants, whole track: BalanceJson vs serializer", rounds, 1000, c101.Answered, c101.AnsweredWritten);
        using var writes = new BatchWriteBenchmarks();
        writes.Setup();
        Pair($"{BatchWriteBenchmarks.Events:N0} ledger rows in 64/8-row INSERTs, bound by position vs by name (ratio after/before)", rounds, 5,
            () => writes.ByName(), () => writes.ByPosition());
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    internal static void Pair(string name, int rounds, int batch, Func<object> a, Func<object> b)
    {
        for (var i = 0; i < batch; i++)
        {
            a();
            b();
        }
        var ta = new List<double>();
        var tb = new List<double>();
        var ratios = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            // Alternate which variant goes first so a slow phase of the machine falls on both.
            double x, y;
            if (r % 2 == 0)
            {
                x = Batch(a, batch);
                y = Batch(b, batch);
            }
            else
            {
                y = Batch(b, batch);
                x = Batch(a, batch);
            }
            ta.Add(x);
            tb.Add(y);
            ratios.Add(y / x);
        }
        Console.WriteLine($"{name}: {Median(ta):F0} ns vs {Median(tb):F0} ns; ratio median {Median(ratios):F2} "
            + $"(rounds' range {ratios.Min():F2}–{ratios.Max():F2})");
    }

    private static double Batch(Func<object> op, int n)
    {
        var start = ThreadCpuNs();
        object? keep = null;
        for (var i = 0; i < n; i++)
        {
            keep = op();
        }
        GC.KeepAlive(keep);
        return (ThreadCpuNs() - start) / (double)n;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec ts);

    private static long ThreadCpuNs()
    {
        if (ClockGetTime(ClockThreadCpuTime, out var ts) != 0)
        {
            return Stopwatch.GetTimestamp() * (1_000_000_000L / Stopwatch.Frequency);
        }
        return ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
    }
}
