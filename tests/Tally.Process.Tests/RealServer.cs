using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tally.Process.Tests;

/// <summary>
/// The server dll as a process with exactly the environment a test gives it (nothing inherited from TALLY_*), its
/// stdout and stderr kept line by line: for start-up failures (run to exit) and for signals (its pid is known).
/// </summary>
internal sealed class RealServer : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private RealServer(System.Diagnostics.Process process, string url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Url { get; }
    public HttpClient Http { get; }
    public int Pid => _process.Id;
    public IReadOnlyList<string> Stdout => [.. _stdout];
    public IReadOnlyList<string> Stderr => [.. _stderr];
    public string Output => $"stdout:\n{string.Join('\n', _stdout)}\nstderr:\n{string.Join('\n', _stderr)}";

    public static RealServer Start(IReadOnlyDictionary<string, string> env, int? port = null, string? workingDirectory = null)
    {
        var url = $"http://127.0.0.1:{port ?? FreePort()}";
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tally.Server.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("TALLY_", StringComparison.Ordinal) || k is "ASPNETCORE_URLS" or "URLS").ToList())
        {
            info.Environment.Remove(name);
        }
        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }
        var process = new System.Diagnostics.Process { StartInfo = info };
        var server = new RealServer(process, url);
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

    /// <summary>Waits for the process to end by itself; returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Waits until the start-up line is printed (fails the test with the output if the process ends first).</summary>
    public async Task WaitListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!Stdout.Any(l => l.StartsWith("Tally is listening on ", StringComparison.Ordinal)))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException("The server did not start:\n" + Output);
            }
            await Task.Delay(50);
        }
    }

    public async Task<List<string>> WaitForLinesAsync(Func<IReadOnlyList<string>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done(Stdout) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return [.. Stdout];
    }

    public void Terminate()
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async Task<(HttpStatusCode Status, string Body, bool Replayed)> PostAsync(string route, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/" + route)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
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
}
