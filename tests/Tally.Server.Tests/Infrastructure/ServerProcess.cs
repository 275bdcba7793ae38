using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// The real server: <c>dotnet Tally.Server.dll --urls http://127.0.0.1:&lt;free port&gt;</c> on a given database file,
/// with or without TALLY_SECRET_KEYS, its stdout and stderr captured.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Url { get; }

    public HttpClient Http { get; }

    public IReadOnlyList<string> Stdout => [.. _stdout];

    public string Output => $"stdout:\n{string.Join('\n', _stdout)}\nstderr:\n{string.Join('\n', _stderr)}";

    public TallyApi Api(string key) => new(Http, key);

    /// <summary>Starts the server and waits until it prints that it is listening (on another port if the free one was taken meanwhile).</summary>
    public static async Task<ServerProcess> StartAsync(string database, string? secretKeys)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(database, secretKeys);
            }
            catch (PortTakenException) when (attempt < 3)
            {
            }
        }
    }

    private sealed class PortTakenException(string message) : Exception(message);

    private static async Task<ServerProcess> StartOnceAsync(string database, string? secretKeys)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(database)!,
        };
        info.ArgumentList.Add(ServerDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        foreach (var inherited in new[] { "TALLY_SECRET_KEYS", "TALLY_DATABASE", "ASPNETCORE_URLS", "URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
        {
            info.Environment.Remove(inherited);
        }
        info.Environment["TALLY_DATABASE"] = database;
        if (secretKeys is not null)
        {
            info.Environment["TALLY_SECRET_KEYS"] = secretKeys;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process, url);
        process.OutputDataReceived += (_, e) => server.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                server._stderr.Enqueue(e.Data);
            }
        };
        process.Exited += (_, _) => server._listening.TrySetException(new InvalidOperationException("The server exited before it was listening"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server._listening.Task.WaitAsync(StartTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var output = server.Output;
            await server.DisposeAsync();
            if (output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new PortTakenException(output);
            }
            throw new Xunit.Sdk.XunitException($"The server did not start: {e.Message}\n{output}");
        }
        return server;
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }
        _stdout.Enqueue(line);
        if (line.StartsWith("Tally is listening on ", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    /// <summary>Waits for a line printed after start-up (the keys are printed right after the URL).</summary>
    public async Task<List<string>> WaitForLinesAsync(Func<IReadOnlyList<string>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!done(Stdout) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return [.. Stdout];
    }

    /// <summary>SIGKILL: nothing is flushed or closed; only what was durable before each answer survives.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM (Ctrl+C elsewhere), then waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            _process.Kill();
        }
        else
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
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

    private static int FreePort()
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
    /// The server's own build output (src/Tally.Server/bin/&lt;configuration&gt;/&lt;tfm&gt;), which the ProjectReference
    /// builds; else the copy next to this test assembly.
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
