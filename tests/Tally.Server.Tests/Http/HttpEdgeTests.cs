using System.Net.Sockets;
using System.Text;

namespace Tally.Server.Tests.Http;

/// <summary>
/// Issue #11, HTTP edges, against the real server (Kestrel, not the in-memory test host): a body Tally will not read
/// ends with <c>Connection: close</c> so the client opens a new connection, and a non-ASCII header byte reaches Tally
/// instead of Kestrel's empty 400.
/// </summary>
public sealed class HttpEdgeTests : IAsyncLifetime
{
    private const string Key = "am_sk_test_http_edges";
    private readonly string _dir = TempDirs.Create("tally-edges-");
    private ServerProcess _server = null!;

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(Path.Combine(_dir, "tally.db"), Key);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Theory]
    [InlineData("Authorization: Bearer " + Key + "\r\n", 413, "payload_too_large")]
    [InlineData("", 401, "no_secret_key")]
    public async Task BodyOverTheLimit_WithContentLength_AnswersJson_WithConnectionClose(string auth, int status, string code)
    {
        var head = $"POST /v1/balances.track HTTP/1.1\r\nHost: t\r\n{auth}Content-Type: application/json\r\nContent-Length: {(1024 * 1024) + 10}\r\n\r\n";

        var (statusLine, headers, body) = await ExchangeAsync([.. Encoding.ASCII.GetBytes(head), .. new byte[64 * 1024]]);

        Assert.Contains($" {status} ", statusLine, StringComparison.Ordinal);
        Assert.Contains("connection: close", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task BodyOverTheLimit_TheClientsNextRequest_Succeeds()
    {
        var big = new ByteArrayContent(new byte[(1024 * 1024) + 1]);
        big.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/customers.list") { Content = big };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Key);
        using var first = await _server.Http.SendAsync(request);

        var next = await _server.Api(Key).PostAsync("customers.list", "{}");

        Assert.Equal(413, (int)first.StatusCode);
        Assert.True(first.Headers.ConnectionClose);
        next.ShouldBe(200);
    }

    [Fact]
    public async Task BadChunkedBody_AnswersJson_WithConnectionClose()
    {
        var head = $"POST /v1/customers.list HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {Key}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";

        var (statusLine, headers, body) = await ExchangeAsync(Encoding.ASCII.GetBytes(head));

        Assert.Contains(" 400 ", statusLine, StringComparison.Ordinal);
        Assert.Contains("connection: close", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("invalid_request", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task NonAsciiByte_InAHeaderTallyReads_IsAJson400NamingIt_InAnyOtherHeader_IsIgnored()
    {
        byte[] Request(string header) =>
            [.. Encoding.ASCII.GetBytes($"POST /v1/customers.list HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {Key}\r\n{header}: caf"),
             0xC3, 0xA9, 0xFF, .. Encoding.ASCII.GetBytes("\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")];

        var key = await ExchangeAsync(Request("Idempotency-Key"));
        var version = await ExchangeAsync(Request("x-api-version"));
        var other = await ExchangeAsync(Request("X-Anything"));

        Assert.Contains(" 400 ", key.StatusLine, StringComparison.Ordinal);
        Assert.Contains("Idempotency-Key header", JsonDocument.Parse(key.Body).RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(" 400 ", version.StatusLine, StringComparison.Ordinal);
        Assert.Equal("invalid_api_version", JsonDocument.Parse(version.Body).RootElement.GetProperty("code").GetString());
        Assert.Contains(" 200 ", other.StatusLine, StringComparison.Ordinal);
    }

    /// <summary>Sends raw bytes on a fresh connection and reads until the server closes it or the answer is complete.</summary>
    private async Task<(string StatusLine, string Headers, string Body)> ExchangeAsync(byte[] request)
    {
        var uri = new Uri(_server.Url);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // The server may answer and close before reading everything sent; the answer is still there to read.
        }
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer);
            }
            catch (IOException)
            {
                break;
            }
            if (n == 0)
            {
                break;
            }
            received.Write(buffer, 0, n);
            var text = Encoding.UTF8.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0 && ContentLength(text[..end]) is { } length && Encoding.UTF8.GetByteCount(text[(end + 4)..]) >= length)
            {
                break;
            }
        }
        var all = Encoding.UTF8.GetString(received.ToArray());
        var split = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP answer: '{all}'");
        var headers = all[..split];
        return (headers.Split("\r\n")[0], headers, all[(split + 4)..]);
    }

    private static int? ContentLength(string headers) =>
        headers.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => (int?)int.Parse(l[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
}
