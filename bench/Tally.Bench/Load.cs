using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tally.Bench;

/// <summary>What one load run saw from the client side.</summary>
internal sealed record LoadResult
{
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double Seconds { get; init; }
    public double P50Ms { get; init; }
    public double P90Ms { get; init; }
    public double P99Ms { get; init; }
    public double P999Ms { get; init; }
    public double MaxMs { get; init; }
    public double MeanMs { get; init; }

    /// <summary>Paced runs: the same percentiles measured from the actual send, not the scheduled one.</summary>
    public double? UncorrectedP99Ms { get; init; }

    /// <summary>Paced runs: requests sent more than 1 ms behind schedule (the client or the machine fell behind).</summary>
    public long? Late { get; init; }

    /// <summary>Paced runs: p99 of how far behind its slot a request left (the client's own scheduling lag).</summary>
    public double? SendLagP99Ms { get; init; }

    public double? TargetRate { get; init; }

    public string Raw { get; init; } = "";

    /// <summary>CPU time the load generator itself used (wrk, or this process for the paced client), in /proc ticks.</summary>
    public long ClientTicks { get; init; }

    public double Rps => Seconds > 0 ? Requests / Seconds : 0;
}

/// <summary>A request shape: GET or POST, a path, and the bodies sent round-robin.</summary>
internal sealed record RequestSpec(string Method, string Path, IReadOnlyList<string> Bodies)
{
    public static RequestSpec Get(string path) => new("GET", path, []);

    public static RequestSpec Post(string route, params string[] bodies) => new("POST", "/v1/" + route, bodies);
}

/// <summary>Closed-loop maximum-throughput runs with wrk (C, epoll, a Lua script), far lighter than a .NET client.</summary>
internal static class Wrk
{
    public static async Task<LoadResult> RunAsync(string luaScript, string baseUrl, RequestSpec spec, int threads, int connections,
        double seconds, string workDir, Sampler? sampler, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo("wrk") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            "-t", threads.ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s",
            "--timeout", "10s",
            "-s", luaScript,
            baseUrl + spec.Path,
        })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["BENCH_METHOD"] = spec.Method;
        psi.Environment["BENCH_PATH"] = spec.Path;
        psi.Environment["BENCH_KEY"] = Server.Key;
        if (spec.Bodies.Count > 0)
        {
            var file = Path.Combine(workDir, $"bodies-{Guid.NewGuid():N}.txt");
            await File.WriteAllLinesAsync(file, spec.Bodies, ct).ConfigureAwait(false);
            psi.Environment["BENCH_BODIES"] = file;
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start wrk");
        var watched = new WatchedProcess(p.Id);
        sampler?.Watch(watched);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        var text = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("BENCH ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("wrk printed no BENCH line:\n" + text);
        var f = line[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
        return new LoadResult
        {
            Requests = (long)f["requests"],
            Errors = (long)(f["connect"] + f["read"] + f["write"] + f["status"] + f["timeout"]),
            Seconds = f["duration_us"] / 1e6,
            P50Ms = f["p50_us"] / 1000,
            P90Ms = f["p90_us"] / 1000,
            P99Ms = f["p99_us"] / 1000,
            P999Ms = f["p999_us"] / 1000,
            MaxMs = f["max_us"] / 1000,
            MeanMs = f["mean_us"] / 1000,
            Raw = text.Trim(),
            ClientTicks = watched.Ticks,
        };
    }
}

/// <summary>
/// An open-loop client at a fixed rate: every request has a scheduled send time, and its latency is counted from that
/// time (or from the send, if it went out early), so a stall is not hidden by the client waiting for it
/// (no coordinated omission). Plain HTTP/1.1 keep-alive over raw sockets with pre-encoded requests, to stay light.
/// </summary>
internal static class Paced
{
    public static async Task<LoadResult> RunAsync(int port, RequestSpec spec, double rate, int connections, double seconds,
        CancellationToken ct = default)
    {
        var requests = spec.Bodies.Count == 0
            ? [Encode(spec, null)]
            : spec.Bodies.Select(b => Encode(spec, b)).ToArray();
        var freq = Stopwatch.Frequency;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var total = (long)(rate * seconds);
        var start = Stopwatch.GetTimestamp() + freq / 10;
        var tasks = new Task<ConnResult>[connections];
        for (var c = 0; c < connections; c++)
        {
            var index = c;
            tasks[c] = Task.Run(() => ConnectionAsync(port, requests, index, connections, total, start, rate, ct), ct);
        }
        var results = await Task.WhenAll(tasks).ConfigureAwait(false);
        var end = results.Max(r => r.LastEnd);
        var corrected = results.SelectMany(r => r.Corrected).ToArray();
        var raw = results.SelectMany(r => r.Uncorrected).ToArray();
        var lag = results.SelectMany(r => r.Lag).ToArray();
        Array.Sort(lag);
        Array.Sort(corrected);
        Array.Sort(raw);
        double Ms(long ticks) => ticks * 1000.0 / freq;
        double Pct(long[] sorted, double p) => sorted.Length == 0 ? 0 : Ms(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)]);
        return new LoadResult
        {
            Requests = corrected.Length,
            Errors = results.Sum(r => r.Errors),
            Seconds = (end - start) / (double)freq,
            P50Ms = Pct(corrected, 50),
            P90Ms = Pct(corrected, 90),
            P99Ms = Pct(corrected, 99),
            P999Ms = Pct(corrected, 99.9),
            MaxMs = corrected.Length == 0 ? 0 : Ms(corrected[^1]),
            MeanMs = corrected.Length == 0 ? 0 : corrected.Average(Ms),
            UncorrectedP99Ms = Pct(raw, 99),
            Late = results.Sum(r => r.Late),
            SendLagP99Ms = Pct(lag, 99),
            TargetRate = rate,
            ClientTicks = (long)((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds * Proc.TicksPerSecond),
        };
    }

    private sealed record ConnResult(List<long> Corrected, List<long> Uncorrected, List<long> Lag, long Errors, long Late, long LastEnd);

    internal static byte[] Encode(RequestSpec spec, string? body)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var head = $"{spec.Method} {spec.Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {Server.Key}\r\n"
            + (body is null ? "" : $"Content-Type: application/json\r\nContent-Length: {bytes.Length}\r\n") + "\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. bytes];
    }

    private static async Task<ConnResult> ConnectionAsync(int port, byte[][] requests, int index, int connections, long total,
        long start, double rate, CancellationToken ct)
    {
        var freq = Stopwatch.Frequency;
        var corrected = new List<long>((int)(total / connections) + 1);
        var uncorrected = new List<long>((int)(total / connections) + 1);
        var lag = new List<long>((int)(total / connections) + 1);
        long errors = 0, late = 0, lastEnd = start;
        using var socket = new Socket(System.Net.Sockets.AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, ct).ConfigureAwait(false);
        var buffer = new byte[256 * 1024];
        for (long k = index; k < total; k += connections)
        {
            var scheduled = start + (long)(k * freq / rate);
            var wait = scheduled - Stopwatch.GetTimestamp();
            if (wait > freq / 1000)
            {
                // Timers are coarse (about 1 ms) and spinning would steal a core from the server: sleep until about
                // 1 ms before the slot and send then. An early send is timed from the send, a late one from its slot.
                await Task.Delay(TimeSpan.FromTicks((wait - freq / 1000) * TimeSpan.TicksPerSecond / freq), ct).ConfigureAwait(false);
            }
            var sent = Stopwatch.GetTimestamp();
            lag.Add(Math.Max(0, sent - scheduled));
            if (sent - scheduled > freq / 1000)
            {
                late++;
            }
            var request = requests[k % requests.Length];
            await socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
            var status = await ReadResponseAsync(socket, buffer, ct).ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            if (status is < 200 or > 299)
            {
                errors++;
            }
            corrected.Add(end - Math.Min(scheduled, sent));
            uncorrected.Add(end - sent);
            lastEnd = end;
        }
        return new ConnResult(corrected, uncorrected, lag, errors, late, lastEnd);
    }

    /// <summary>Reads one response (Content-Length framing, as every Tally reply has) and returns its status.</summary>
    private static async Task<int> ReadResponseAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        var headerEnd = -1;
        while (headerEnd < 0)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("server closed the connection");
            }
            filled += n;
            headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
        }
        var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
        var status = int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var length = 0;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase))
            {
                throw new NotSupportedException("chunked responses are not expected from Tally's RPC routes");
            }
        }
        var have = filled - (headerEnd + 4);
        while (have < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(0), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("server closed the connection mid-body");
            }
            have += n;
        }
        return status;
    }
}
