using System.Diagnostics;
using System.Globalization;

namespace Tally.Bench;

/// <summary>
/// The open-loop client of <see cref="Paced"/>, in C (bench/pace/pace.c): one thread on epoll, so at half of the
/// check maximum it keeps its schedule on two cores where the .NET client's own send lag dominated the tail.
/// Compiled with gcc into the scratch dir on first use; without gcc the bench falls back to the .NET client.
/// </summary>
internal static class PacedC
{
    private static string? _binary;
    private static bool _unavailable;

    public static async Task<LoadResult?> TryRunAsync(Options o, int port, RequestSpec spec, double rate, int connections,
        double seconds)
    {
        var binary = await BuildAsync(o).ConfigureAwait(false);
        if (binary is null)
        {
            return null;
        }
        var dir = Path.Combine(o.WorkDir, "pace-requests");
        Directory.CreateDirectory(dir);
        var bodies = spec.Bodies.Count == 0 ? [null] : spec.Bodies.Cast<string?>().ToArray();
        var files = new List<string>();
        for (var i = 0; i < bodies.Length; i++)
        {
            var file = Path.Combine(dir, $"{i}.http");
            await File.WriteAllBytesAsync(file, Paced.Encode(spec, bodies[i])).ConfigureAwait(false);
            files.Add(file);
        }
        var psi = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            port.ToString(CultureInfo.InvariantCulture), rate.ToString("0.###", CultureInfo.InvariantCulture),
            seconds.ToString("0.###", CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture),
        }.Concat(files))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"pace exited {p.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }
        var values = (await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
        return new LoadResult
        {
            Requests = (long)values["requests"],
            Errors = (long)values["errors"],
            Seconds = values["seconds"],
            P50Ms = values["p50_ms"],
            P90Ms = values["p90_ms"],
            P99Ms = values["p99_ms"],
            P999Ms = values["p999_ms"],
            MaxMs = values["max_ms"],
            MeanMs = values["mean_ms"],
            UncorrectedP99Ms = values["uncorrected_p99_ms"],
            Late = (long)values["late"],
            SendLagP99Ms = values["send_lag_p99_ms"],
            TargetRate = rate,
            ClientTicks = (long)(values["client_cpu_s"] * Proc.TicksPerSecond),
        };
    }

    /// <summary>The client's binary, built on first use; null when gcc is not there.</summary>
    public static async Task<string?> BuildAsync(Options o)
    {
        if (_binary is not null || _unavailable)
        {
            return _binary;
        }
        var output = Path.Combine(o.WorkDir, "pace");
        Directory.CreateDirectory(o.WorkDir);
        try
        {
            var psi = new ProcessStartInfo("gcc") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-O2", "-Wall", "-Wextra", "-Werror", "-o", output, Path.Combine(o.Root, "bench/pace/pace.c") })
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var err = await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await p.WaitForExitAsync().ConfigureAwait(false);
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"gcc could not build bench/pace/pace.c: {err}");
            }
            return _binary = output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            _unavailable = true; // no gcc: the .NET client measures instead (and the row says so)
            return null;
        }
    }
}
