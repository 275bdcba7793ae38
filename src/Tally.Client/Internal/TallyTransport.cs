using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tally.Contracts;

namespace Tally.Client.Internal;

/// <summary>
/// Sends one RPC call (<c>POST /v1/&lt;route&gt;</c>) with bounded retries. The body bytes and the idempotency key are
/// fixed before the first attempt and resent unchanged, because the server only replays an answer for the same key
/// with byte-identical bytes.
/// </summary>
internal sealed partial class TallyTransport
{
    private readonly HttpClient _http;
    private readonly Uri _baseUrl;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly string _apiVersion;
    private readonly int _maxRetries;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;

    public TallyTransport(HttpClient http, TallyClientOptions options)
    {
        _http = http;
        var baseUrl = options.BaseUrl ?? http.BaseAddress
            ?? throw new ArgumentException("TallyClientOptions.BaseUrl is required when the HttpClient has no BaseAddress.", nameof(options));
        if (!baseUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("TallyClientOptions.BaseUrl must be an absolute URL such as http://127.0.0.1:5080.", nameof(options));
        }
        // Uri resolution drops the last path segment unless the base ends with '/', which would lose a path prefix.
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        if (string.IsNullOrWhiteSpace(options.SecretKey))
        {
            throw new ArgumentException("TallyClientOptions.SecretKey is required (am_sk_test_… or am_sk_live_…).", nameof(options));
        }
        _authorization = new AuthenticationHeaderValue("Bearer", options.SecretKey.Trim());
        _apiVersion = options.ApiVersion;
        _maxRetries = options.MaxRetries >= 0 ? options.MaxRetries
            : throw new ArgumentOutOfRangeException(nameof(options), "TallyClientOptions.MaxRetries must not be negative.");
        _baseDelay = options.BaseDelay >= TimeSpan.Zero ? options.BaseDelay
            : throw new ArgumentOutOfRangeException(nameof(options), "TallyClientOptions.BaseDelay must not be negative.");
        _maxDelay = options.MaxDelay >= TimeSpan.Zero ? options.MaxDelay
            : throw new ArgumentOutOfRangeException(nameof(options), "TallyClientOptions.MaxDelay must not be negative.");
        _requestTimeout = options.RequestTimeout > TimeSpan.Zero || options.RequestTimeout == Timeout.InfiniteTimeSpan ? options.RequestTimeout
            : throw new ArgumentOutOfRangeException(nameof(options), "TallyClientOptions.RequestTimeout must be positive or Timeout.InfiniteTimeSpan.");
        _time = options.TimeProvider ?? TimeProvider.System;
        FailOpenOnCheck = options.FailOpenOnCheck;
    }

    public bool FailOpenOnCheck { get; }

    /// <summary>Source of the jitter fraction in [0, 1); replaceable by tests.</summary>
    internal Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    public static string NewIdempotencyKey() => Guid.NewGuid().ToString("D");

    /// <summary>Serializes <paramref name="request"/> once and sends it; mutating calls get a fresh idempotency key.</summary>
    public Task<TResponse> PostAsync<TRequest, TResponse>(string route, TRequest request, JsonTypeInfo<TRequest> requestInfo,
        JsonTypeInfo<TResponse> responseInfo, bool mutating, CancellationToken ct) =>
        SendAsync(route, JsonSerializer.SerializeToUtf8Bytes(request, requestInfo), responseInfo, mutating ? NewIdempotencyKey() : null, ct);

    /// <summary>As the other <c>PostAsync</c>, with the properties the caller set to null on purpose sent as nulls.</summary>
    public Task<TResponse> PostAsync<TRequest, TResponse>(string route, TRequest request, JsonTypeInfo<TRequest> requestInfo,
        IReadOnlyList<(string? Parent, string Name)> nulls, JsonTypeInfo<TResponse> responseInfo, bool mutating, CancellationToken ct) =>
        SendAsync(route, JsonBody.WithNulls(JsonSerializer.SerializeToUtf8Bytes(request, requestInfo), nulls), responseInfo,
            mutating ? NewIdempotencyKey() : null, ct);

    public async Task<TResponse> SendAsync<TResponse>(string route, byte[] body, JsonTypeInfo<TResponse> responseInfo,
        string? idempotencyKey, CancellationToken ct)
    {
        var url = new Uri(_baseUrl, "v1/" + route);
        for (var attempt = 0; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            TimeSpan wait;
            try
            {
                var (status, bytes, retryAfter) = await AttemptAsync(url, body, idempotencyKey, ct).ConfigureAwait(false);
                if (status is >= 200 and < 300)
                {
                    return Deserialize(status, bytes, responseInfo);
                }
                var error = ToException(status, bytes, retryAfter);
                var retryable = status == 429 || status >= 500;
                if (!retryable || attempt >= _maxRetries || retryAfter > _maxDelay)
                {
                    throw error;
                }
                wait = retryAfter ?? Backoff(attempt);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException e)
            {
                // Not the caller's token: our per-attempt timeout or HttpClient.Timeout fired.
                if (attempt >= _maxRetries)
                {
                    throw new TimeoutException(
                        $"Tally did not answer {route} in time ({attempt + 1} attempt{(attempt == 0 ? "" : "s")}).", e);
                }
                wait = Backoff(attempt);
            }
            catch (HttpRequestException) when (attempt < _maxRetries)
            {
                wait = Backoff(attempt);
            }
            await Task.Delay(wait, _time, ct).ConfigureAwait(false);
        }
    }

    private async Task<(int Status, byte[] Body, TimeSpan? RetryAfter)> AttemptAsync(Uri url, byte[] body, string? idempotencyKey,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("x-api-version", _apiVersion);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var timeout = _requestTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_requestTimeout, _time);
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var token = linked?.Token ?? ct;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        return ((int)response.StatusCode, bytes, RetryAfterOf(response));
    }

    private TimeSpan Backoff(int attempt)
    {
        // Full jitter: uniform in [0, min(MaxDelay, BaseDelay * 2^attempt)).
        var cap = Math.Min(_maxDelay.Ticks, _baseDelay.Ticks * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromTicks((long)(cap * Math.Clamp(Jitter(), 0, 1)));
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }
        if (header.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private static TResponse Deserialize<TResponse>(int status, byte[] bytes, JsonTypeInfo<TResponse> info)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, info)
                ?? throw new TallyApiException(status, TallyApiException.InvalidResponseCode, "Tally answered with a null body.");
        }
        catch (JsonException e)
        {
            throw new TallyApiException(status, TallyApiException.InvalidResponseCode,
                $"Tally's answer could not be read as {typeof(TResponse).Name}: {e.Message}", innerException: e);
        }
    }

    internal static TallyApiException ToException(int status, byte[] bytes, TimeSpan? retryAfter)
    {
        ErrorResponse? error = null;
        try
        {
            error = bytes.Length > 0 ? JsonSerializer.Deserialize(bytes, TallyJsonContext.Default.ErrorResponse) : null;
        }
        catch (JsonException)
        {
            // Not Tally's error shape (a proxy's HTML page, for example): reported as "unknown" below.
        }
        var code = string.IsNullOrEmpty(error?.Code) ? TallyApiException.UnknownCode : error.Code;
        var message = !string.IsNullOrEmpty(error?.Message) ? error.Message : $"Tally answered HTTP {status}{Excerpt(bytes)}";
        return new TallyApiException(status, code, message, error?.Env, retryAfter);
    }

    private static string Excerpt(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return "";
        }
        var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 200)).ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "" : ": " + text;
    }

    private static readonly string UserAgent = "tally-dotnet/" +
        (typeof(TallyTransport).Assembly.GetName().Version?.ToString(3) ?? "0");
}
