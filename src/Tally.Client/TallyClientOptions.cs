namespace Tally.Client;

/// <summary>Settings of a <see cref="TallyClient"/>.</summary>
/// <remarks>
/// Retries use capped exponential backoff with full jitter: before retry <c>n</c> (1-based) the client waits a random
/// time between zero and <c>min(MaxDelay, BaseDelay × 2^(n-1))</c>, or exactly the server's <c>Retry-After</c> on a 429.
/// Network errors, per-attempt timeouts, 429 and 5xx are retried; other 4xx never are.
/// </remarks>
public sealed class TallyClientOptions
{
    /// <summary>
    /// Root URL of the Tally server, without <c>/v1</c> (for example <c>http://127.0.0.1:5080</c>).
    /// When null, the injected <see cref="HttpClient.BaseAddress"/> is used.
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Secret key sent as <c>Authorization: Bearer …</c> (<c>am_sk_test_…</c> or <c>am_sk_live_…</c>).</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>Value of the <c>x-api-version</c> header (default <c>2.3.0</c>, the contract Tally serves).</summary>
    public string ApiVersion { get; set; } = "2.3.0";

    /// <summary>How many times a failed attempt is retried (default 3, so at most 4 attempts; 0 disables retries).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Backoff cap of the first retry; each further retry doubles it (default 200 ms).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Longest wait before a retry (default 5 s). A 429 or 5xx whose <c>Retry-After</c> asks for longer is not retried:
    /// the <see cref="TallyApiException"/> is thrown at once with <see cref="TallyApiException.RetryAfter"/> set.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Time limit of one attempt, including reading the response (default 30 s; <see cref="Timeout.InfiniteTimeSpan"/>
    /// disables it). An attempt that runs out of time is retried like a network error.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Opt-in fail-open for <c>balances.check</c> only (default false). When true and the server is unreachable
    /// (network error or timeout) or answers 5xx after every retry, <see cref="BalancesClient.CheckAsync"/> returns
    /// <c>allowed: true</c> with a null balance instead of throwing; nothing is consumed or recorded, even with
    /// <c>send_event</c>. Every other call, and every 4xx (including 429), still throws. Leave it off unless letting usage
    /// through unmetered is better than blocking your users.
    /// </summary>
    public bool FailOpenOnCheck { get; set; }

    /// <summary>Clock used for backoff waits, timeouts and <c>Retry-After</c> dates (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
