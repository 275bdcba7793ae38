using System.Text.Json.Serialization.Metadata;

namespace Tally.Server.Http;

/// <summary>
/// A streamed answer: either an error decided before the first byte (an ordinary JSON reply), or a writer that sends
/// a 200 body of <see cref="ContentType"/> as it goes. Once streaming has begun the status cannot change, so a fault
/// midway ends the body early; the formats streamed here end with a closing record that such a body lacks.
/// </summary>
public sealed record Streamed(Reply? Error, string ContentType, Func<Stream, CancellationToken, Task>? Write)
{
    public static Streamed Fail(Reply error) => new(error, "application/json", null);

    public static Streamed Ok(string contentType, Func<Stream, CancellationToken, Task> write) => new(null, contentType, write);
}

public static partial class Rpc
{
    /// <summary>
    /// Maps an RPC route whose success answer is streamed (large read-only answers such as <c>admin.audit</c>): the
    /// same body limits, scan and header checks as <see cref="MapRpc{TRequest}"/>; not idempotent-replayed (read-only).
    /// </summary>
    public static IEndpointConventionBuilder MapRpcStream<TRequest>(this IEndpointRouteBuilder app, string route, JsonTypeInfo<TRequest> info,
        Func<Call<TRequest>, Task<Streamed>> handler)
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
            var answer = await handler(new Call<TRequest>(http, route, request!, body!)).ConfigureAwait(false);
            if (answer.Error is { } refused)
            {
                Hosting.RequestLog.Observe(http, route, body!, refused);
                await refused.WriteAsync(http).ConfigureAwait(false);
                return;
            }
            http.Response.StatusCode = 200;
            http.Response.ContentType = answer.ContentType;
            // Proxies (nginx) buffer whole answers by default; progress lines are only useful if they arrive.
            http.Response.Headers["X-Accel-Buffering"] = "no";
            await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);
            await answer.Write!(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
            Hosting.RequestLog.Observe(http, route, body!, new Reply(200, []));
        }).WithMetadata(new RpcRoute(route, info));
    }
}
