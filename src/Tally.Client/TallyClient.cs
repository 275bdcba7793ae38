using Tally.Client.Internal;

namespace Tally.Client;

/// <summary>
/// Client of a Tally server (Autumn's public API: <c>POST /v1/&lt;resource&gt;.&lt;action&gt;</c>). Thread-safe; create one and
/// share it. Every call is async, takes a <see cref="CancellationToken"/>, retries network errors, timeouts, 429 and 5xx
/// with capped, jittered exponential backoff, and sends a fresh <c>Idempotency-Key</c> on each mutating call that it
/// reuses across that call's retries, so a retried write is applied at most once.
/// </summary>
/// <example>
/// <code>
/// var client = new TallyClient(new TallyClientOptions { BaseUrl = new Uri("http://127.0.0.1:5080"), SecretKey = "am_sk_test_..." });
/// var check = await client.Balances.CheckAsync(new CheckParams { CustomerId = "c1", FeatureId = "messages" });
/// </code>
/// </example>
public sealed class TallyClient
{
    /// <summary>Shared by every client built without an injected <see cref="HttpClient"/>, so sockets are pooled.</summary>
    private static readonly Lazy<HttpClient> SharedHttpClient = new(() => new HttpClient(new SocketsHttpHandler
    {
        // Re-resolve DNS now and then, the reason IHttpClientFactory exists.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    {
        // TallyClientOptions.RequestTimeout bounds each attempt instead.
        Timeout = Timeout.InfiniteTimeSpan,
    });

    /// <summary>Test seam: when set on the current async flow, the options-only constructor sends through this handler.</summary>
    internal static readonly AsyncLocal<Func<HttpMessageHandler>?> DefaultHandlerOverride = new();

    /// <summary>Creates a client that uses a process-wide pooled <see cref="HttpClient"/>.</summary>
    /// <param name="options">Server URL, secret key and retry settings; read once, here.</param>
    /// <exception cref="ArgumentException"><see cref="TallyClientOptions.BaseUrl"/> or <see cref="TallyClientOptions.SecretKey"/> is missing.</exception>
    public TallyClient(TallyClientOptions options)
        : this(DefaultHttpClient(), options)
    {
    }

    /// <summary>
    /// Creates a client over an injected <see cref="HttpClient"/> (for example from <c>IHttpClientFactory</c>). The client
    /// is never disposed by Tally. Its <see cref="HttpClient.BaseAddress"/> is used when <see cref="TallyClientOptions.BaseUrl"/>
    /// is null; its own <see cref="HttpClient.Timeout"/> still applies to each attempt and is retried like a network timeout.
    /// </summary>
    /// <param name="httpClient">The HTTP client to send through.</param>
    /// <param name="options">Server URL, secret key and retry settings; read once, here.</param>
    /// <exception cref="ArgumentException">No base URL is known, or <see cref="TallyClientOptions.SecretKey"/> is missing.</exception>
    public TallyClient(HttpClient httpClient, TallyClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        Transport = new TallyTransport(httpClient, options);
        Balances = new BalancesClient(Transport);
        Customers = new CustomersClient(Transport);
        Features = new FeaturesClient(Transport);
        Plans = new PlansClient(Transport);
        Entities = new EntitiesClient(Transport);
        Billing = new BillingClient(Transport);
        Events = new EventsClient(Transport);
        Keys = new KeysClient(Transport);
        Webhooks = new WebhooksClient(Transport);
        Admin = new AdminClient(Transport);
    }

    /// <summary><c>balances.*</c>: track usage, check access, and grant, adjust or delete balances.</summary>
    public BalancesClient Balances { get; }

    /// <summary><c>customers.*</c>.</summary>
    public CustomersClient Customers { get; }

    /// <summary><c>features.*</c>: the catalog's metered, boolean and credit-system features.</summary>
    public FeaturesClient Features { get; }

    /// <summary><c>plans.*</c>: the catalog's plans.</summary>
    public PlansClient Plans { get; }

    /// <summary><c>entities.*</c>: seats, workspaces and other sub-customer balances.</summary>
    public EntitiesClient Entities { get; }

    /// <summary><c>billing.*</c>: attach plans to customers.</summary>
    public BillingClient Billing { get; }

    /// <summary><c>events.*</c>: the usage event log.</summary>
    public EventsClient Events { get; }

    /// <summary><c>keys.*</c>: create, list and revoke the secret keys of the caller's environment.</summary>
    public KeysClient Keys { get; }

    /// <summary><c>webhooks.*</c>: webhook endpoints of the caller's environment and their deliveries.</summary>
    public WebhooksClient Webhooks { get; }
    /// <summary><c>admin.*</c>: read-only operator routes (audit, usage export), streamed.</summary>
    public AdminClient Admin { get; }

    internal TallyTransport Transport { get; }

    private static HttpClient DefaultHttpClient() =>
        DefaultHandlerOverride.Value is { } handler
            ? new HttpClient(handler(), disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }
            : SharedHttpClient.Value;
}
