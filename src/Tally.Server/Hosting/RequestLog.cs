using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tally.Core.Telemetry;
using Tally.Server.Http;

namespace Tally.Server.Hosting;

/// <summary>
/// <c>TALLY_REQUEST_LOG</c>: <c>on</c> logs every request, <c>off</c> none (faults are still logged, with their
/// exception, by <see cref="Faults"/>), and a number between 0 and 1 logs that fraction of the hot routes (track,
/// check, batch_track) and every other request. Default 0.01: a line per track would cost more than the track.
/// </summary>
public sealed record RequestLogOptions(bool Enabled, double HotSampleRate)
{
    public static RequestLogOptions FromConfiguration(IConfiguration config)
    {
        var text = config["TALLY_REQUEST_LOG"]?.Trim();
        return text switch
        {
            null or "" => new(true, 0.01),
            "on" or "all" or "true" or "1" => new(true, 1),
            "off" or "none" or "false" or "0" => new(false, 0),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 1 => new(true, p),
            _ => throw new InvalidOperationException($"TALLY_REQUEST_LOG: '{text}' must be on, off, or a sampling rate between 0 and 1"),
        };
    }
}

/// <summary>What the RPC layer tells the request log about a request it chose to log.</summary>
internal sealed class RequestLogEntry
{
    public string? CustomerId;
}

public static partial class RequestLog
{
    public static IApplicationBuilder UseRequestLog(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<RequestLogOptions>();
        if (!options.Enabled)
        {
            return app;
        }
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tally.Requests");
        return app.Use(async (http, next) =>
        {
            if (options.HotSampleRate < 1 && IsHot(http.Request.Path) && Random.Shared.NextDouble() >= options.HotSampleRate)
            {
                await next(http).ConfigureAwait(false);
                return;
            }
            var entry = new RequestLogEntry();
            http.Features.Set(entry);
            var start = Stopwatch.GetTimestamp();
            try
            {
                await next(http).ConfigureAwait(false);
            }
            finally
            {
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                LogRequest(log, http.Request.Method, http.Request.Path.Value ?? "", http.Response.StatusCode, Math.Round(ms, 3),
                    entry.CustomerId, http.Response.Headers.ContainsKey("Idempotent-Replayed"));
            }
        });
    }

    private static bool IsHot(PathString path) =>
        path.Value is "/v1/balances.track" or "/v1/balances.check" or "/v1/track" or "/v1/check" or "/v1/balances.batch_track";

    /// <summary>
    /// Called by the RPC layer once per answered request: counts track and check outcomes (from the reply already
    /// in hand, no extra allocation) and fills in the log entry of a request being logged.
    /// </summary>
    public static void Observe(HttpContext http, string route, byte[] body, Reply reply)
    {
        switch (route)
        {
            case "balances.track" or "track":
                TallyMetrics.Track(OutcomeOf(reply, isCheck: false));
                break;
            case "balances.check" or "check":
                TallyMetrics.Check(OutcomeOf(reply, isCheck: true));
                break;
        }
        if (http.Features.Get<RequestLogEntry>() is { } entry)
        {
            entry.CustomerId = CustomerIdOf(body);
        }
    }

    private static Outcome OutcomeOf(Reply reply, bool isCheck) =>
        reply.Replayed ? Outcome.Replayed
        : reply.Status >= 400 ? (reply.Status == 400 && Contains(reply.Body, "\"insufficient_balance\""u8) ? Outcome.Denied : Outcome.Refused)
        : isCheck && Contains(reply.Body, "\"allowed\":false"u8) ? Outcome.Denied
        : Outcome.Allowed;

    private static bool Contains(byte[] body, ReadOnlySpan<byte> needle) => body.AsSpan().IndexOf(needle) >= 0;

    /// <summary>The top-level <c>customer_id</c> of a JSON body, if it has one (only read for requests being logged).</summary>
    internal static string? CustomerIdOf(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isCustomer = reader.ValueTextEquals("customer_id"u8);
                if (!reader.Read())
                {
                    return null;
                }
                if (isCustomer)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "{Method} {Route} answered {Status} in {DurationMs} ms (customer {CustomerId}, replayed {Replayed})")]
    private static partial void LogRequest(ILogger logger, string method, string route, int status, double durationMs, string? customerId, bool replayed);
}
