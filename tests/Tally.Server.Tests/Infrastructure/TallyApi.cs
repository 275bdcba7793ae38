using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Tally.Contracts;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// A thin typed client for <c>POST /v1/&lt;route&gt;</c>. The body may be raw JSON text, raw bytes, a JsonNode,
/// or a wire DTO registered in <see cref="TallyJsonContext"/>; null sends no body at all.
/// </summary>
public sealed class TallyApi(HttpClient http, string key)
{
    /// <summary>Pass as the key to send no Authorization header.</summary>
    public const string NoKey = "";

    public string Key => key;

    public HttpClient Http => http;

    public TallyApi WithKey(string other) => new(http, other);

    public async Task<ApiResult> PostAsync(string route, object? body = null, string? key = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/" + route);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Serialize(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        var k = key ?? Key;
        if (k.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", k.StartsWith("Bearer", StringComparison.Ordinal) || k.Contains(' ', StringComparison.Ordinal) ? k : "Bearer " + k);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await http.SendAsync(request);
        return await ApiResult.ReadAsync(response);
    }

    /// <summary>Posts and deserializes a 200 answer; fails the test with the body otherwise.</summary>
    public async Task<T> OkAsync<T>(string route, object? body, JsonTypeInfo<T> info)
    {
        var res = await PostAsync(route, body);
        res.ShouldBe(200);
        return res.As(info);
    }

    public static byte[] Serialize(object body) => body switch
    {
        string s => Encoding.UTF8.GetBytes(s),
        byte[] b => b,
        JsonNode n => Encoding.UTF8.GetBytes(n.ToJsonString()),
        _ => JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), TallyJsonContext.Default),
    };
}

/// <summary>One HTTP answer: status, exact body bytes and headers.</summary>
public sealed class ApiResult
{
    private JsonElement? _json;

    private ApiResult(int status, byte[] body, HttpResponseHeaders headers, string? contentType)
    {
        Status = status;
        Body = body;
        Headers = headers;
        ContentType = contentType;
    }

    public int Status { get; }

    public byte[] Body { get; }

    public HttpResponseHeaders Headers { get; }

    public string? ContentType { get; }

    public string Text => Encoding.UTF8.GetString(Body);

    public JsonElement Json => _json ??= Parse();

    /// <summary>The error code of an error body.</summary>
    public string? Code => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("code", out var c) ? c.GetString() : null;

    public string? Message => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("message", out var m) ? m.GetString() : null;

    public T As<T>(JsonTypeInfo<T> info) => JsonSerializer.Deserialize(Body, info)!;

    public static async Task<ApiResult> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        return new ApiResult((int)response.StatusCode, body, response.Headers, response.Content.Headers.ContentType?.MediaType);
    }

    public override string ToString() => $"{Status} {Text}";

    private JsonElement Parse()
    {
        try
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"Response body is not JSON ({e.Message}): {Text}");
        }
    }
}
