using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tally.Bench;

/// <summary>One Tally server process (the Release dll under <c>dotnet</c>), on a free loopback port.</summary>
internal sealed class Server : IAsyncDisposable
{
    public const string Key = "am_sk_test_bench";

    private readonly Process _process;
    private readonly StreamWriter _log;

    private Server(Process process, StreamWriter log, int port, string database)
    {
        _process = process;
        _log = log;
        Port = port;
        Database = database;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Database { get; }

    public HttpClient Http { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public static async Task<Server> StartAsync(string dll, string database, string logPath, bool perfMap, TimeSpan timeout,
        IEnumerable<KeyValuePair<string, string>>? env = null)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
        };
        psi.ArgumentList.Add(Path.GetFullPath(dll));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.Environment["TALLY_DATABASE"] = database;
        psi.Environment["TALLY_SECRET_KEYS"] = Key;
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        if (perfMap)
        {
            // perf resolves JIT-compiled frames through /tmp/perf-<pid>.map, which it only consults for anonymous
            // memory: with W^X on, JIT code lives in a memfd double mapping and every managed frame shows as
            // "memfd:doublemapper". Both settings are for profiling runs only.
            psi.Environment["DOTNET_PerfMapEnabled"] = "1";
            psi.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new Server(process, log, port, database);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                await log.FlushAsync().ConfigureAwait(false);
                var lines = File.ReadLines(logPath).ToList();
                var cause = lines.FirstOrDefault(l => l.Contains("Exception:", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? "";
                throw new ServerFailedException($"server exited with {process.ExitCode} during start-up: {cause.Trim()}");
            }
            try
            {
                using var r = await server.Http.GetAsync("healthz").ConfigureAwait(false);
                if (r.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        await server.DisposeAsync().ConfigureAwait(false);
        throw new ServerFailedException($"server did not answer /healthz within {timeout.TotalSeconds:0} s");
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>SIGTERM (a graceful stop that lets SQLite checkpoint), then SIGKILL if it hangs.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        Http.Dispose();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}

internal sealed class ServerFailedException(string message) : Exception(message);
