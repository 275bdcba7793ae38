using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Tally.Process.Tests;

/// <summary>
/// Start-up failures an operator can fix are one line on stderr and a non-zero exit, and a start that fails loses
/// nothing: first-start keys are stored and printed only once the port is bound.
/// </summary>
public sealed partial class StartupTests : IDisposable
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-startup-" + Guid.NewGuid().ToString("N"));

    public StartupTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void AssertOneClearLine(ServerProcess server, int exitCode, string mentions)
    {
        var lines = server.Stderr.Where(l => l.Trim().Length > 0).ToList();
        Assert.NotEqual(0, exitCode);
        Assert.True(lines.Count == 1, "expected one line on stderr:\n" + server.Output);
        Assert.Contains(mentions, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(server.Stdout.Concat(server.Stderr), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PortTaken_ExitsWithOneLine_AndTheNextStartStillCreatesWorkingKeys()
    {
        var db = Path.Combine(_dir, "tally.db");
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using (var failed = ServerProcess.Start(new Dictionary<string, string> { ["TALLY_DATABASE"] = db }, taken))
        {
            var code = await failed.ExitCodeAsync(ExitWithin);
            AssertOneClearLine(failed, code, "address already in use");
            Assert.DoesNotContain(failed.Stdout, l => l.Contains("am_sk_", StringComparison.Ordinal));
        }

        await using var server = ServerProcess.Start(new Dictionary<string, string> { ["TALLY_DATABASE"] = db });
        await server.WaitListeningAsync();
        var stdout = string.Join('\n', await server.WaitForLinesAsync(l => l.Count(x => x.Contains("am_sk_", StringComparison.Ordinal)) >= 2));
        var sandbox = Assert.Single(SandboxKey().Matches(stdout)).Value;
        var live = Assert.Single(LiveKey().Matches(stdout)).Value;
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("features.list", "{}", sandbox)).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("features.list", "{}", live)).Status);
    }

    [Fact]
    public async Task StartupLine_ShowsTheDatabaseAsAnAbsolutePath()
    {
        await using var server = ServerProcess.Start(
            new Dictionary<string, string> { ["TALLY_DATABASE"] = "relative.db", ["TALLY_SECRET_KEYS"] = "am_sk_test_abs" }, workingDirectory: _dir);
        await server.WaitListeningAsync();

        Assert.Contains(server.Stdout, l => l.StartsWith("Tally is listening on ", StringComparison.Ordinal)
            && l.EndsWith($"(store: {Path.Combine(_dir, "relative.db")})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadSecretKey_IsOneLineOnStderr_AndANonZeroExit()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["TALLY_DATABASE"] = Path.Combine(_dir, "tally.db"),
            ["TALLY_SECRET_KEYS"] = "sk_bad",
        });

        AssertOneClearLine(server, await server.ExitCodeAsync(ExitWithin), "TALLY_SECRET_KEYS");
    }

    [Fact]
    public async Task UnusableDatabasePath_IsOneLineOnStderr_AndANonZeroExit()
    {
        // A path below a regular file cannot be created, even by root (which ignores permission bits).
        var file = Path.Combine(_dir, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");
        var db = Path.Combine(file, "tally.db");
        await using var server = ServerProcess.Start(new Dictionary<string, string> { ["TALLY_DATABASE"] = db, ["TALLY_SECRET_KEYS"] = "am_sk_test_x" });

        AssertOneClearLine(server, await server.ExitCodeAsync(ExitWithin), "TALLY_DATABASE");
        Assert.Contains(db, server.Stderr[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresUnreachable_IsRetriedWithALogLinePerRetry_ThenOneLineAndANonZeroExit()
    {
        var closed = ServerProcess.FreePort();
        await using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["TALLY_DATABASE"] = $"Host=127.0.0.1;Port={closed};Username=postgres;Database=postgres;Timeout=2",
            ["TALLY_SECRET_KEYS"] = "am_sk_test_x",
            ["TALLY_STARTUP_TIMEOUT"] = "2s",
        });

        AssertOneClearLine(server, await server.ExitCodeAsync(ExitWithin), "not reachable after 2 s");
        Assert.True(server.Stdout.Count(l => l.Contains("not reachable yet", StringComparison.Ordinal)) >= 2, server.Output);
    }

    [PostgresFact]
    public async Task PostgresStartingLate_TheServerComesUpOnceItAnswers()
    {
        var admin = PostgresServer.AdminConnectionString!;
        var target = new Npgsql.NpgsqlConnectionStringBuilder(admin);
        await using var database = await PostgresDatabase.CreateAsync("tally_startup_");
        var name = database.Name;
        try
        {
            // PostgreSQL "starts" when this forwarder begins listening on the port the server was given.
            var port = ServerProcess.FreePort();
            var cs = new Npgsql.NpgsqlConnectionStringBuilder(admin) { Host = "127.0.0.1", Port = port, Database = name, Timeout = 2, Pooling = false };
            await using var server = ServerProcess.Start(new Dictionary<string, string>
            {
                ["TALLY_DATABASE"] = cs.ConnectionString,
                ["TALLY_SECRET_KEYS"] = "am_sk_test_late",
                ["TALLY_STARTUP_TIMEOUT"] = "60s",
            });
            await server.WaitForLinesAsync(l => l.Any(x => x.Contains("not reachable yet", StringComparison.Ordinal)));
            using var forwarder = new Forwarder(port, target.Host!, target.Port);

            await server.WaitListeningAsync();
            Assert.Contains(server.Stdout, l => l.Contains("not reachable yet", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("features.list", "{}", "am_sk_test_late")).Status);
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>A loopback TCP forwarder: stands in for a database that comes up after the server started.</summary>
    private sealed class Forwarder : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();

        public Forwarder(int port, string host, int targetPort)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient inbound;
                    try
                    {
                        inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                    {
                        return;
                    }
                    _ = Task.Run(async () =>
                    {
                        using var a = inbound;
                        using var b = new TcpClient();
                        try
                        {
                            await b.ConnectAsync(host, targetPort, _stop.Token);
                            var sa = a.GetStream();
                            var sb = b.GetStream();
                            await Task.WhenAny(sa.CopyToAsync(sb, _stop.Token), sb.CopyToAsync(sa, _stop.Token));
                        }
                        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
                        {
                        }
                    });
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }

    [GeneratedRegex("am_sk_test_[0-9a-f]{16,}")]
    private static partial Regex SandboxKey();

    [GeneratedRegex("am_sk_live_[0-9a-f]{16,}")]
    private static partial Regex LiveKey();
}
