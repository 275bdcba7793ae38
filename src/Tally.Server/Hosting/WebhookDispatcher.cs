using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Tally.Core.Storage;
using Tally.Core.Telemetry;
using Tally.Server.Api.Webhooks;

namespace Tally.Server.Hosting;

/// <summary>
/// Sends the outbox: claims due deliveries (one node at a time per delivery), POSTs each signed, records the attempt
/// and schedules the next one with exponential backoff and jitter. It runs beside the API and never on a request's
/// path, so a slow receiver cannot slow <c>track</c>. The <c>webhook-id</c> is the event's id on every attempt.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    public const int MaxResponseChars = 1024;

    private readonly IWebhookStore _store;
    private readonly TimeProvider _time;
    private readonly WebhookOptions _options;
    private readonly ILogger<WebhookDispatcher> _log;
    private readonly HttpClient _strict;
    private readonly HttpClient _open;

    public WebhookDispatcher(IWebhookStore store, TimeProvider time, WebhookOptions options, ILogger<WebhookDispatcher> log)
    {
        _store = store;
        _time = time;
        _options = options;
        _log = log;
        _strict = NewClient(allowPrivate: false);
        _open = NewClient(allowPrivate: true);
    }

    /// <summary>One pass: claims and sends one batch; returns how many deliveries it attempted.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var claims = await _store.ClaimWebhookDeliveriesAsync(now, now + _options.Lease, _options.BatchSize, ct).ConfigureAwait(false);
        await Parallel.ForEachAsync(claims, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (claim, token) => await SendAsync(claim, token).ConfigureAwait(false)).ConfigureAwait(false);
        return claims.Count;
    }

    /// <summary>
    /// One retention pass: deletes finished deliveries older than the retention, in bounded batches, until none are
    /// left or the pass's batch budget is spent; returns how many rows it deleted.
    /// </summary>
    public async Task<int> PruneOnceAsync(CancellationToken ct)
    {
        var cutoff = _time.GetUtcNow() - _options.Retention;
        var total = 0;
        for (var i = 0; i < _options.PruneBatchesPerPass; i++)
        {
            var n = await _store.PruneWebhooksAsync(cutoff, _options.PruneBatchSize, ct).ConfigureAwait(false);
            total += n;
            if (n < _options.PruneBatchSize)
            {
                break;
            }
        }
        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Wall-clock interval, like the poll wait below; the first pass runs soon after start.
        var nextPrune = Stopwatch.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = 0;
            try
            {
                sent = await DispatchOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPassFailed(_log, e);
            }
            if (Stopwatch.GetTimestamp() >= nextPrune)
            {
                nextPrune = Stopwatch.GetTimestamp() + (long)(_options.PruneInterval.TotalSeconds * Stopwatch.Frequency);
                try
                {
                    var pruned = await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
                    if (pruned > 0)
                    {
                        LogPruned(_log, pruned);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogPruneFailed(_log, e);
                }
            }
            if (sent < _options.BatchSize)
            {
                // Wall-clock wait on purpose: the injected TimeProvider may be a test clock that never advances.
                await Task.Delay(_options.PollInterval, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SendAsync(WebhookClaim claim, CancellationToken ct)
    {
        var endpoint = claim.Endpoint;
        var started = _time.GetUtcNow();
        var timestamp = started.ToUnixTimeSeconds();
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        string? body = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
            {
                Content = new StringContent(claim.Payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("webhook-id", claim.EventId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature",
                WebhookSigning.SignatureHeader(endpoint, claim.EventId, timestamp, claim.Payload, started));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.AttemptTimeout);
            var client = WebhookUrls.PrivateAllowed(endpoint.Tenant.Env, _options.AllowPrivate) ? _open : _strict;
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await ReadPrefixAsync(response, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"timed out after {_options.AttemptTimeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e)
        {
            error = e.InnerException is PrivateAddressException p ? p.Message : "connection failed: " + (e.HttpRequestError.ToString());
        }
        var delivered = status is >= 200 and < 300;
        var attempts = claim.Attempts + 1;
        var retryAt = delivered || attempts > _options.RetrySchedule.Count ? (DateTimeOffset?)null : _time.GetUtcNow() + Backoff(attempts);
        var attempt = new WebhookAttempt(started, status, watch.ElapsedMilliseconds, error ?? (delivered ? null : $"HTTP {status}"), body);
        // The attempt is recorded even when the host is stopping: the receiver may already have the event.
        await _store.RecordWebhookAttemptAsync(new WebhookAttemptResult(claim.DeliveryId, endpoint.Id, attempt, delivered, retryAt,
            _options.FailingAfter), CancellationToken.None).ConfigureAwait(false);
        TallyMetrics.WebhookDelivered(delivered ? "delivered" : retryAt is null ? "failed" : "retry");
        if (!delivered)
        {
            LogAttemptFailed(_log, claim.DeliveryId, claim.EventType, Redacted(endpoint.Url), attempts, attempt.Error ?? "");
        }
    }

    /// <summary>The delay before the next attempt after <paramref name="attempts"/> attempts, with jitter.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var delay = _options.RetrySchedule[Math.Clamp(attempts - 1, 0, _options.RetrySchedule.Count - 1)];
        var factor = 1 + ((Random.Shared.NextDouble() * 2) - 1) * _options.Jitter;
        return delay * factor;
    }

    private static async Task<string> ReadPrefixAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxResponseChars];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return text.Length > MaxResponseChars ? text[..MaxResponseChars] : text;
    }

    /// <summary>Scheme, host and port only: a path or query may carry a receiver's token.</summary>
    private static string Redacted(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}/…" : "(invalid)";

    private static HttpClient NewClient(bool allowPrivate)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, ct) =>
            {
                var addresses = await System.Net.Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
                var allowed = allowPrivate ? addresses : addresses.Where(a => !WebhookUrls.IsPrivate(a)).ToArray();
                if (allowed.Length == 0)
                {
                    throw new PrivateAddressException(context.DnsEndPoint.Host);
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public override void Dispose()
    {
        _strict.Dispose();
        _open.Dispose();
        base.Dispose();
    }

    private sealed class PrivateAddressException(string host)
        : Exception($"refused: {host} resolves only to private or loopback addresses (set TALLY_WEBHOOK_ALLOW_PRIVATE=true to allow)");

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "Webhook dispatch pass failed")]
    private static partial void LogPassFailed(ILogger log, Exception e);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Webhook retention pass failed")]
    private static partial void LogPruneFailed(ILogger log, Exception e);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Webhook retention deleted {Rows} finished deliveries and events")]
    private static partial void LogPruned(ILogger log, int rows);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information,
        Message = "Webhook delivery {DeliveryId} ({Type}) to {Url} failed on attempt {Attempt}: {Error}")]
    private static partial void LogAttemptFailed(ILogger log, string deliveryId, string type, string url, int attempt, string error);
}

/// <summary>Registers the webhook store view, options and dispatcher.</summary>
public static class WebhookHosting
{
    public static void AddTallyWebhooks(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(WebhookOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton(sp => (IWebhookStore)sp.GetRequiredService<ITallyStore>());
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
    }
}
