using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tally.Process.Tests;

/// <summary>A real Tally server process on a free loopback port, started from the built dll.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(System.Diagnostics.Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseUrl { get; }
    public HttpClient Http { get; }
    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public static async Task<ServerProcess> StartAsync(string database, string keys)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Tally.Server.dll");
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["TALLY_DATABASE"] = database;
        info.Environment["TALLY_SECRET_KEYS"] = keys;
        var process = System.Diagnostics.Process.Start(info)!;
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"server exited with {process.ExitCode}: {server.Output}");
            }
            try
            {
                using var r = await server.Http.GetAsync("/healthz");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"server did not become healthy: {server.Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async Task<(HttpStatusCode Status, JsonElement Body, string Raw)> PostAsync(string route, string json, string key,
        string? idempotencyKey = null)
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
        var raw = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(raw).RootElement.Clone(), raw);
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — what a power cut or an OOM kill looks like to the store.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Kill();
        await Task.CompletedTask;
        _process.Dispose();
    }
}
