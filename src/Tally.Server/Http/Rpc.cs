using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Server.Http;

/// <summary>Everything a use case needs for one call: who is calling, the parsed body, and the services.</summary>
public sealed class Call<TRequest>(HttpContext http, string route, TRequest request, byte[] body)
{
    public HttpContext Http { get; } = http;
    public string Route { get; } = route;
    public TRequest Request { get; } = request;
    public byte[] Body { get; } = body;
    public TenantId Tenant { get; } = http.Tenant();
    public CancellationToken Ct => Http.RequestAborted;
    public ITallyStore Store => Http.RequestServices.GetRequiredService<ITallyStore>();
    public Clock Clock => Http.RequestServices.GetRequiredService<Clock>();
    public IIdGenerator Ids => Http.RequestServices.GetRequiredService<IIdGenerator>();
    public Core.Engine.ResetPolicy Policy => Http.RequestServices.GetRequiredService<Core.Engine.ResetPolicy>();

    /// <summary>
    /// The idempotency claim of this request: the <c>Idempotency-Key</c> header and, on track, the body key scoped to
    /// the customer. When both are present each must hold on its own (the store checks and records both in one unit).
    /// Scoped keys are unambiguous: the customer id is length-prefixed, never just joined to the key by a separator.
    /// The request hash covers the route and the exact body bytes.
    /// </summary>
    public IdempotencyRequest? Idempotency(string? bodyKey = null, string? customerId = null)
    {
        var scopedBody = string.IsNullOrEmpty(bodyKey)
            ? null
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"track:{customerId?.Length ?? 0}:{customerId}:{bodyKey}");
        var scopedHeader = Http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } header ? "header:" + header : null;
        if (scopedBody is null && scopedHeader is null)
        {
            return null;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes(Route + "\n"), .. Body]));
        return scopedBody is not null && scopedHeader is not null
            ? new IdempotencyRequest([scopedBody, scopedHeader], hash)
            : new IdempotencyRequest(scopedBody ?? scopedHeader!, hash);
    }

    /// <summary>
    /// The answer already given to this idempotency key, if any: for handlers whose checks before the unit of work
    /// (an owner lookup, a rename, a lock-id lookup) the original request's own success makes fail on a retry.
    /// Probed through an empty catalog unit, which claims the key, commits nothing and releases it.
    /// </summary>
    public async Task<Reply?> EarlierAnswerAsync(IdempotencyRequest? idempotency)
    {
        if (idempotency is null)
        {
            return null;
        }
        var probe = await Store.MutateCatalogAsync<Reply?>(Tenant, _ => new CatalogDecision<Reply?>(null), idempotency, Ct).ConfigureAwait(false);
        return probe.Outcome switch
        {
            StoreOutcome.Replayed => new Reply(probe.Replay!.Status, probe.Replay.Body) { Replayed = true },
            StoreOutcome.KeyConflict => Errors.DuplicateKey(Tenant),
            _ => null,
        };
    }

    /// <summary>Maps a store answer to the wire: the decision's reply, a replay, or a key conflict.</summary>
    public Reply Finish(StoreResult<Reply> result) => result.Outcome switch
    {
        StoreOutcome.Done => result.Result!,
        StoreOutcome.Replayed => new Reply(result.Replay!.Status, result.Replay.Body) { Replayed = true },
        _ => Errors.DuplicateKey(Tenant),
    };
}

/// <summary>Endpoint metadata of an RPC route: its name and request contract (what the route fuzz tests generate from).</summary>
public sealed record RpcRoute(string Name, JsonTypeInfo Request);

/// <summary>Maps RPC routes: <c>POST /v1/&lt;resource&gt;.&lt;action&gt;</c> with a JSON body (empty means <c>{}</c>).</summary>
public static partial class Rpc
{
    public const int MaxBodyBytes = 1024 * 1024;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Mapped = new(StringComparer.Ordinal);

    /// <summary>Whether an RPC route is mapped at this path (a GET on it is then a 405, not a 404).</summary>
    public static bool IsMapped(PathString path) => Mapped.ContainsKey(path.Value ?? "");

    public static IEndpointConventionBuilder MapRpc<TRequest>(this IEndpointRouteBuilder app, string route, JsonTypeInfo<TRequest> info,
        Func<Call<TRequest>, Task<Reply>> handler)
    {
        Mapped.TryAdd("/v1/" + route, true);
        return app.MapPost("/v1/" + route, async (HttpContext http) =>
        {
            var (body, error) = await ReadBodyAsync(http).ConfigureAwait(false);
            if (error is not null)
            {
                await error.WriteAsync(http).ConfigureAwait(false);
                return;
            }
            var (request, parseError) = RequestHeaders.Check(http) is { } headerError ? (default, headerError) : ScanAndParse(http, body!, info);
            if (parseError is not null)
            {
                await parseError.WriteAsync(http).ConfigureAwait(false);
                return;
            }
            var reply = await handler(new Call<TRequest>(http, route, request!, body!)).ConfigureAwait(false);
            Hosting.RequestLog.Observe(http, route, body!, reply);
            await reply.WriteAsync(http).ConfigureAwait(false);
        }).WithMetadata(new RpcRoute(route, info));
    }

    private static async Task<(byte[]? Body, Reply? Error)> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge(http));
        }
        try
        {
            if (http.Request.ContentLength is { } length)
            {
                // The common case: read exactly the announced bytes, no intermediate buffers.
                var exact = new byte[length];
                var read = 0;
                while (read < exact.Length)
                {
                    var got = await http.Request.Body.ReadAsync(exact.AsMemory(read), http.RequestAborted).ConfigureAwait(false);
                    if (got == 0)
                    {
                        break;
                    }
                    read += got;
                }
                return (read == exact.Length ? exact : exact[..read], null);
            }
            using var ms = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await http.Request.Body.ReadAsync(buffer, http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                ms.Write(buffer, 0, n);
                if (ms.Length > MaxBodyBytes)
                {
                    return (null, TooLarge(http));
                }
            }
            return (ms.ToArray(), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(http));
        }
        catch (BadHttpRequestException e)
        {
            // A malformed body framing (a bad chunk, a body shorter than its Content-Length): the connection cannot
            // carry another request, which the client is told.
            http.Response.Headers.Connection = "close";
            return (null, Reply.Error(e.StatusCode, ErrorCodes.InvalidRequest, $"request body: {e.Message}", http.Tenant()));
        }
    }

    private static Reply TooLarge(HttpContext http)
    {
        // The rest of the body stays unread, so Kestrel cannot keep the connection; saying so lets the client open a
        // new one for its next request instead of failing on this one.
        http.Response.Headers.Connection = "close";
        return Reply.Error(413, ErrorCodes.PayloadTooLarge, $"Request body is larger than {MaxBodyBytes} bytes", http.Tenant());
    }

    /// <summary>
    /// Parses after <see cref="BodyScan"/> found nothing wrong; a body the scan could not read is never bound, even
    /// if the deserializer would accept it (the two read with the same options, so that should not happen).
    /// </summary>
    private static (T? Value, Reply? Error) ScanAndParse<T>(HttpContext http, byte[] body, JsonTypeInfo<T> info)
    {
        var trimmed = body.AsSpan().Trim(" \t\r\n"u8);
        var scan = trimmed.IsEmpty ? default : BodyScan.Scan(trimmed, info.Options);
        if (scan.Problem is not null)
        {
            return (default, Errors.Invalid(http.Tenant(), scan.Problem));
        }
        var (value, error) = Parse(http, body, info);
        return error is null && scan.Unreadable ? (default, Errors.Invalid(http.Tenant(), "request body is not valid JSON")) : (value, error);
    }

    public static (T? Value, Reply? Error) Parse<T>(HttpContext http, byte[] body, JsonTypeInfo<T> info)
    {
        ReadOnlySpan<byte> span = body.AsSpan().Trim(" \t\r\n"u8);
        if (span.IsEmpty)
        {
            span = "{}"u8;
        }
        try
        {
            var value = JsonSerializer.Deserialize(span, info);
            if (value is null)
            {
                return (default, Errors.Invalid(http.Tenant(), "Request body must be a JSON object, not null"));
            }
            return (value, null);
        }
        catch (JsonException e)
        {
            return (default, Errors.Invalid(http.Tenant(), Describe(e)));
        }
    }

    /// <summary>Turns a System.Text.Json failure into "field: what was wrong".</summary>
    public static string Describe(JsonException e)
    {
        var message = e.Message;
        var missing = MissingProps().Match(message);
        if (missing.Success)
        {
            var names = QuotedName().Matches(message).Select(m => m.Groups[1].Value).Distinct();
            return $"{string.Join(", ", names)}: required";
        }
        var field = e.Path is { Length: > 1 } p ? p.TrimStart('$').TrimStart('.') : null;
        var expected = ConvertTarget().Match(message) is { Success: true } t ? Expected(t.Groups[1].Value) : null;
        if (expected is not null)
        {
            return $"{field ?? "body"}: must be {expected}";
        }
        // A syntax error comes from the reader, whose message (unlike a converter's) carries its position.
        var syntax = e.InnerException is JsonException { Message: var m } && m.Contains("LineNumber:", StringComparison.Ordinal);
        if (!syntax && e.InnerException is JsonException inner && inner.Message.Length > 0 && !inner.Message.Contains("Path:", StringComparison.Ordinal))
        {
            return $"{field ?? "body"}: {inner.Message}";
        }
        if (syntax
            || message.Contains("is an invalid start of a value", StringComparison.Ordinal)
            || message.Contains("expected end of", StringComparison.OrdinalIgnoreCase)
            || message.Contains("is invalid after", StringComparison.Ordinal)
            || e.LineNumber is not null && field is null)
        {
            return $"request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})";
        }
        var reason = message.Split(" Path:")[0];
        return $"{field ?? "body"}: {reason}";
    }

    private static string Expected(string clrType) =>
        clrType.Contains("List", StringComparison.Ordinal) || clrType.EndsWith("[]", StringComparison.Ordinal) ? "an array"
        : clrType.Contains("Decimal", StringComparison.Ordinal) || clrType.Contains("Double", StringComparison.Ordinal) ? "a number"
        : clrType.Contains("Int64", StringComparison.Ordinal) || clrType.Contains("Int32", StringComparison.Ordinal) ? "an integer"
        : clrType.Contains("Boolean", StringComparison.Ordinal) ? "a boolean"
        : clrType.Contains("String", StringComparison.Ordinal) ? "a string"
        : "an object";

    [GeneratedRegex("missing required properties", RegexOptions.IgnoreCase)]
    private static partial Regex MissingProps();

    [GeneratedRegex("'([A-Za-z0-9_]+)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex(@"could not be converted to ([^.\s]+(?:\.[^.\s]+)*?)\. Path")]
    private static partial Regex ConvertTarget();

    /// <summary>A body whose JSON value is not an object (or an array where one is expected) fails binding with this.</summary>
    public static IApplicationBuilder UseBodyLimit(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } f)
        {
            f.MaxRequestBodySize = MaxBodyBytes + 1;
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            // Whatever answers (a 401 before the body is read, the 413), Kestrel cannot drain a body over its limit
            // and drops the connection afterwards: announce it so a client does not reuse it.
            http.Response.OnStarting(static state =>
            {
                ((HttpContext)state).Response.Headers.Connection = "close";
                return Task.CompletedTask;
            }, http);
        }
        return next(http);
    });
}
