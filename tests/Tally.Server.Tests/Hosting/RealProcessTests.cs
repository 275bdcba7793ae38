using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Tally.Contracts;

namespace Tally.Server.Tests.Hosting;

/// <summary>
/// The real server process on a real port: data acknowledged before a hard kill is there after a restart, a clean
/// stop exits 0, Kestrel's body limit answers JSON, and the first start without keys prints a working sandbox and live key.
/// </summary>
public sealed partial class RealProcessTests : IDisposable
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private const string SandboxKey = "am_sk_test_process_tests";
    private const string LiveKey = "am_sk_live_process_tests";

    private readonly string _dir = TempDirs.Create("tally-proc-");

    private string Database => Path.Combine(_dir, "tally.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task Restart_OnTheSameFile_KeepsBalancesEventsAndIdempotentAnswers()
    {
        const string Retry = """{"customer_id":"u1","feature_id":"messages","value":5,"idempotency_key":"req-1"}""";
        byte[] customerBefore, eventsBefore, firstAnswer;
        await using (var server = await ServerProcess.StartAsync(Database, $"{SandboxKey},{LiveKey}"))
        {
            var t = server.Api(SandboxKey);
            (await t.PostAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""")).ShouldBe(200);
            (await t.PostAsync("plans.create", """{"plan_id":"pro","name":"Pro","items":[{"feature_id":"messages","included":100,"reset":{"interval":"month"}}]}""")).ShouldBe(200);
            (await t.PostAsync("customers.get_or_create", """{"customer_id":"u1","name":"Ada"}""")).ShouldBe(200);
            (await t.PostAsync("billing.attach", """{"customer_id":"u1","plan_id":"pro"}""")).ShouldBe(200);
            (await t.PostAsync("balances.track", """{"customer_id":"u1","feature_id":"messages","value":30,"properties":{"model":"m1"}}""")).ShouldBe(200);
            firstAnswer = (await t.PostAsync("balances.track", Retry)).ShouldBe(200).Body;
            await server.Api(LiveKey).CustomerAsync("u1");
            customerBefore = (await t.GetCustomerRawAsync("u1")).ShouldBe(200).Body;
            eventsBefore = (await t.PostAsync("events.list", """{"customer_id":"u1"}""")).ShouldBe(200).Body;

            // Acknowledged means durable: no graceful shutdown is needed to keep it.
            await server.KillAsync();
        }

        await using (var server = await ServerProcess.StartAsync(Database, $"{SandboxKey},{LiveKey}"))
        {
            var t = server.Api(SandboxKey);
            var customer = await t.GetCustomerRawAsync("u1");
            var events = await t.PostAsync("events.list", """{"customer_id":"u1"}""");
            var replay = await t.PostAsync("balances.track", Retry);
            var live = await server.Api(LiveKey).GetCustomerAsync("u1");

            Assert.Equal(System.Text.Encoding.UTF8.GetString(customerBefore), customer.ShouldBe(200).Text);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(eventsBefore), events.ShouldBe(200).Text);
            var balance = customer.Json.GetProperty("balances").GetProperty("messages");
            Assert.Equal(65m, balance.Dec("remaining"));
            Assert.Equal(35m, balance.Dec("usage"));
            var list = events.As(C.CursorListResponseEventItem).List;
            Assert.Equal([5m, 30m], list.Select(e => e.Value));
            Assert.Equal("m1", list[1].Properties.GetProperty("model").GetString());
            Assert.Equal(firstAnswer, replay.ShouldBe(200).Body);
            Assert.Equal("true", Assert.Single(replay.Headers.GetValues("Idempotent-Replayed")));
            Assert.Equal("live", live.Env);
            Assert.Empty(live.Balances);

            (await t.TrackAsync("u1", "messages", 15)).ShouldBe(200);
            Assert.Equal(0, await server.StopAsync());
        }

        await using (var server = await ServerProcess.StartAsync(Database, $"{SandboxKey},{LiveKey}"))
        {
            var t = server.Api(SandboxKey);
            Assert.Equal(50m, (await t.BalanceAsync("u1", "messages"))!.Remaining);
            Assert.Equal(3, (await t.EventsAsync("u1")).Count);
            await AssertBodiesOver1MiBAre413Async(server);
            Assert.Equal(50m, (await t.BalanceAsync("u1", "messages"))!.Remaining);
            Assert.Equal(0, await server.StopAsync());
        }
    }

    [Fact]
    public async Task FirstStart_WithoutKeys_PrintsTheUrlAndTwoWorkingKeys_Once()
    {
        string sandbox, live;
        await using (var server = await ServerProcess.StartAsync(Database, secretKeys: null))
        {
            var lines = await server.WaitForLinesAsync(l => l.Count(x => x.Contains("am_sk_", StringComparison.Ordinal)) >= 2);
            var stdout = string.Join('\n', lines);

            Assert.Contains(lines, l => l.StartsWith("Tally is listening on " + server.Url, StringComparison.Ordinal));
            sandbox = Assert.Single(SandboxKeyPattern().Matches(stdout)).Value;
            live = Assert.Single(LiveKeyPattern().Matches(stdout)).Value;
            (await server.Api(sandbox).PostAsync("features.list")).ShouldBe(200);
            (await server.Api(sandbox).GetCustomerRawAsync("nobody")).ShouldFail(404, "customer_not_found", env: "sandbox");
            (await server.Api(live).GetCustomerRawAsync("nobody")).ShouldFail(404, "customer_not_found", env: "live");
            (await server.Api(sandbox + "x").PostAsync("features.list")).ShouldFail(401, "invalid_secret_key", env: null);
            await server.Api(sandbox).MeteredFeatureAsync("messages");
            Assert.Equal(0, await server.StopAsync());
        }

        await using (var server = await ServerProcess.StartAsync(Database, secretKeys: null))
        {
            await Task.Delay(300);
            Assert.DoesNotContain(server.Stdout, l => l.Contains("am_sk_", StringComparison.Ordinal));
            var features = await server.Api(sandbox).OkAsync("features.list", new EmptyParams(), C.ListResponseFeature);
            Assert.Equal("messages", Assert.Single(features.List).Id);
            (await server.Api(live).PostAsync("features.list")).ShouldBe(200);
        }
    }

    /// <summary>
    /// Kestrel's body limit answers JSON too, whether the client declares a Content-Length or streams chunks. The
    /// sized request waits for 100-continue and the stream stops after the limit, so the server's early answer is
    /// read rather than racing a broken pipe.
    /// </summary>
    private static async Task AssertBodiesOver1MiBAre413Async(ServerProcess server)
    {
        var big = new byte[2 * 1024 * 1024];
        Array.Fill(big, (byte)' ');
        big[0] = (byte)'{';
        big[^1] = (byte)'}';

        using var sizedRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/balances.track") { Content = new ByteArrayContent(big) };
        sizedRequest.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        sizedRequest.Headers.TryAddWithoutValidation("Authorization", "Bearer " + SandboxKey);
        sizedRequest.Headers.ExpectContinue = true;
        using var sizedResponse = await server.Http.SendAsync(sizedRequest);
        var sized = await ApiResult.ReadAsync(sizedResponse);

        var (streamedStatus, streamedBody) = await ChunkedPostAsync(server, "/v1/balances.track", (1024 * 1024) + 1);
        using var healthy = await server.Http.GetAsync("/healthz");

        sized.ShouldFail(413, "payload_too_large");
        Assert.Equal(413, streamedStatus);
        Assert.Equal("payload_too_large", JsonDocument.Parse(streamedBody).RootElement.Str("code"));
        Assert.Equal(200, (int)healthy.StatusCode);
    }

    /// <summary>
    /// Sends one chunk of <paramref name="size"/> bytes without the final chunk (HttpClient would wait to finish the
    /// body before reading the answer), then reads the server's answer off the socket.
    /// </summary>
    private static async Task<(int Status, string Body)> ChunkedPostAsync(ServerProcess server, string path, int size)
    {
        var uri = new Uri(server.Url);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Bearer {SandboxKey}\r\n" +
            $"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{size:x}\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        var body = new byte[size];
        Array.Fill(body, (byte)' ');
        await stream.WriteAsync(body);
        await stream.FlushAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<byte>();
        var buffer = new byte[8192];
        while (true)
        {
            var text = System.Text.Encoding.UTF8.GetString([.. received]);
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (split > 0 && ContentLength().Match(text[..split]) is { Success: true } m
                && received.Count >= split + 4 + int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            {
                var status = int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                return (status, text[(split + 4)..]);
            }
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                throw new Xunit.Sdk.XunitException($"Connection closed before a full answer: {text}");
            }
            received.AddRange(buffer.AsSpan(0, n));
        }
    }

    [GeneratedRegex(@"(?im)^content-length:\s*(\d+)\s*$")]
    private static partial Regex ContentLength();

    [GeneratedRegex("am_sk_test_[0-9a-f]{16,}")]
    private static partial Regex SandboxKeyPattern();

    [GeneratedRegex("am_sk_live_[0-9a-f]{16,}")]
    private static partial Regex LiveKeyPattern();
}
