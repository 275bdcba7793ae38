using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Tally.Client.Tests;

/// <summary>One request as the fake handler saw it.</summary>
public sealed record SeenRequest(HttpMethod Method, Uri Uri, string Body, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>An <see cref="HttpMessageHandler"/> that answers from a script and records every request.</summary>
public sealed class FakeHandler(Func<int, HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    private int _count;

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public int Count => Volatile.Read(ref _count);

    /// <summary>Answers the given responses in order, repeating the last one.</summary>
    public static FakeHandler Sequence(params Func<HttpResponseMessage>[] responses) =>
        new((i, _, _) => Task.FromResult(responses[Math.Min(i, responses.Length - 1)]()));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue(new SeenRequest(request.Method, request.RequestUri!, body, headers));
        var index = Interlocked.Increment(ref _count) - 1;
        return await respond(index, request, cancellationToken);
    }

    public static HttpResponseMessage Json(int status, string json, Action<HttpResponseMessage>? configure = null)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        configure?.Invoke(response);
        return response;
    }

    public static HttpResponseMessage Error(int status, string code, string message = "failed") =>
        Json(status, $$"""{"message":"{{message}}","code":"{{code}}","env":"sandbox"}""");

    public const string TrackOk = """{"customer_id":"c1","value":1,"balance":null}""";

    public const string CheckOk = """{"allowed":false,"customer_id":"c1","balance":null,"flag":null}""";

    public const string Success = """{"success":true}""";
}

/// <summary>
/// A clock whose timers fire at once (on the thread pool) when due within <see cref="FireLimit"/> and never otherwise;
/// it records every due time, so backoff can be asserted without sleeping.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public TimeSpan FireLimit { get; set; } = TimeSpan.FromHours(1);

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Delays.Enqueue(dueTime);
        var timer = new Timer();
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime <= FireLimit)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                if (!timer.Disposed)
                {
                    callback(state);
                }
            });
        }
        return timer;
    }

    private sealed class Timer : ITimer
    {
        public bool Disposed { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => !Disposed;

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Builds clients over a <see cref="FakeHandler"/>.</summary>
public static class Fake
{
    public static readonly Uri BaseUrl = new("http://tally.test");

    public static TallyClient Client(FakeHandler handler, FakeTimeProvider? time = null, Action<TallyClientOptions>? configure = null,
        double jitter = 0.5)
    {
        var options = new TallyClientOptions
        {
            BaseUrl = BaseUrl,
            SecretKey = "am_sk_test_fake",
            TimeProvider = time ?? new FakeTimeProvider(),
            RequestTimeout = Timeout.InfiniteTimeSpan,
        };
        configure?.Invoke(options);
        var client = new TallyClient(new HttpClient(handler), options);
        client.Transport.Jitter = () => jitter;
        return client;
    }
}
