using Tally.Contracts;

namespace Tally.Server.Http;

/// <summary>
/// Real faults become 500 internal_error (logged, no stack trace on the wire). Caller mistakes never reach
/// here: the SDK turns a 5xx on check/track into "allowed", so a 5xx must mean a fault.
/// </summary>
public static partial class Faults
{
    public static IApplicationBuilder UseFaults(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        try
        {
            await next(http).ConfigureAwait(false);
            if (http.Response.StatusCode == 405 && !http.Response.HasStarted)
            {
                await Reply.Error(405, ErrorCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on {http.Request.Path}; use POST")
                    .WriteAsync(http).ConfigureAwait(false);
            }
            else if (http.Response.StatusCode == 404 && !http.Response.HasStarted)
            {
                // The fallback route skips paths that look like files, and every RPC route has a dot in it,
                // so unknown routes and other methods on known ones end here without a body.
                var reply = !HttpMethods.IsPost(http.Request.Method) && Rpc.IsMapped(http.Request.Path)
                    ? Reply.Error(405, ErrorCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on {http.Request.Path}; use POST")
                    : Reply.Error(404, ErrorCodes.NotFound, $"No route {http.Request.Method} {http.Request.Path}");
                await reply.WriteAsync(http).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            var code = e.StatusCode == 413 ? ErrorCodes.PayloadTooLarge : ErrorCodes.InvalidRequest;
            http.Response.Headers.Connection = "close";
            await Reply.Error(e.StatusCode, code, e.Message).WriteAsync(http).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tally.Faults");
            LogFault(log, http.Request.Path, e);
            await Reply.Error(500, ErrorCodes.InternalError, "Internal error; the request may not have been applied")
                .WriteAsync(http).ConfigureAwait(false);
        }
    });

    /// <summary>Unknown routes and methods answer JSON too.</summary>
    public static void MapFallbacks(this WebApplication app)
    {
        app.MapFallback(http => Reply.Error(404, ErrorCodes.NotFound, $"No route {http.Request.Method} {http.Request.Path}").WriteAsync(http));
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "Unhandled fault on {Path}")]
    private static partial void LogFault(ILogger logger, PathString path, Exception exception);
}
