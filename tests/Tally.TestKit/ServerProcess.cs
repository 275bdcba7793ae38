using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tally.TestKit;

/// <summary>
/// The real server: <c>dotnet Tally.Server.dll --urls http://127.0.0.1:&lt;port&gt;</c> with exactly the environment a
/// test gives it (nothing inherited from TALLY_*), its stdout and stderr kept line by line. <see cref="StartAsync"/>
/// waits until it listens; <see cref="Start"/> does not, for start-up failures (run to exit) and signals.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Url { get; }

    public HttpClient Http { get; }

    public int Pid => _process.Id;

    public IReadOnlyList<string> Stdout => [.. _stdout];

    public IReadOnlyList<string> Stderr => [.. _stderr];

    public string Output => $"stdout:\n{string.Join('\n', _stdout)}\nstderr:\n{string.Join('\n', _stderr)}";

    /// <summary>
    /// Starts the server on <paramref name="database"/> (a file path or a PostgreSQL connection string) and waits
    /// until it prints that it is listening; on another port if the free one was taken meanwhile.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string database, string? secretKeys)
    {
        var env = new Dictionary<string, string> { ["TALLY_DATABASE"] = database };
        if (secretKeys is not null)
        {
            env["TALLY_SECRET_KEYS"] = secretKeys;
        }
        // A database file's own directory, so anything the server writes beside it is cleaned up with it.
        var workingDirectory = Path.IsPathRooted(database) ? Path.GetDirectoryName(database) : null;
        for (var attempt = 1; ; attempt++)
        {
            var server = Start(env, workingDirectory: workingDirectory);
            try
            {
                await server.WaitListeningAsync();
                return server;
            }
            catch (Xunit.Sdk.XunitException) when (attempt < 3
                && server.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts the process and returns at once; <see cref="WaitListeningAsync"/> waits for it to listen.</summary>
    public static ServerProcess Start(IReadOnlyDictionary<string, string> env, int? port = null, string? workingDirectory = null)
    {
        var url = $"http://127.0.0.1:{port ?? FreePort()}";
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(ServerDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("TALLY_", StringComparison.Ordinal)
            || k is "ASPNETCORE_URLS" or "URLS" or "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT").ToList())
        {
            info.Environment.Remove(name);
        }
        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, url);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                server._stdout.Enqueue(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                server._stderr.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until the start-up line is printed (fails the test with the output if the process ends first).</summary>
    public async Task WaitListeningAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!Stdout.Any(l => l.StartsWith("Tally is listening on ", StringComparison.Ordinal)))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException("The server did not start:\n" + Output);
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for lines printed after start-up (the keys are printed right after the URL).</summary>
    public async Task<List<string>> WaitForLinesAsync(Func<IReadOnlyList<string>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!done(Stdout) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return [.. Stdout];
    }

    /// <summary>Waits for the process to end by itself; returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    /// <summary>One RPC call; the body is kept raw (it may not be JSON) and parsed on demand.</summary>
    public async Task<ServerReply> PostAsync(string route, string json, string key, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/" + route)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        using var response = await Http.SendAsync(request);
        return new ServerReply(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
    }

    /// <summary>SIGTERM, without waiting.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGTERM (a kill elsewhere), then waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            _process.Kill();
        }
        else
        {
            Terminate();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; only what was durable before each answer survives.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <inheritdoc cref="Kill"/>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    /// <summary>
    /// The server's own build output (src/Tally.Server/bin/&lt;configuration&gt;/&lt;tfm&gt;), which the test project's
    /// ProjectReference builds; else the copy next to the test assembly.
    /// </summary>
    public static string ServerDll()
    {
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var tfm = Path.GetFileName(here);
        var configuration = Path.GetFileName(Path.GetDirectoryName(here)!);
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
            {
                var own = Path.Combine(dir.FullName, "src", "Tally.Server", "bin", configuration, tfm, "Tally.Server.dll");
                if (File.Exists(own) && File.Exists(Path.ChangeExtension(own, ".runtimeconfig.json")))
                {
                    return own;
                }
                break;
            }
        }
        var local = Path.Combine(here, "Tally.Server.dll");
        if (File.Exists(local) && File.Exists(Path.ChangeExtension(local, ".runtimeconfig.json")))
        {
            return local;
        }
        throw new FileNotFoundException($"Tally.Server.dll was not found (build src/Tally.Server first); looked from {here}");
    }
}

/// <summary>What one call answered: status, raw body, and whether it was an idempotent replay.</summary>
public sealed record ServerReply(HttpStatusCode Status, string Raw, bool Replayed)
{
    public JsonElement Json => JsonDocument.Parse(Raw).RootElement.Clone();

    /// <summary><c>var (status, json) = reply</c>: the status and the parsed body.</summary>
    public void Deconstruct(out HttpStatusCode status, out JsonElement json)
    {
        status = Status;
        json = Json;
    }
}
