using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Tally.Client.Tests;

/// <summary>Backoff, Retry-After, idempotency keys and cancellation, against a scripted handler and a fake clock.</summary>
public sealed class RetryTests
{
    private static readonly TrackParams Track = new() { CustomerId = "c1", FeatureId = "messages", Value = 1 };

    [Fact]
    public async Task Send_503ThenSuccess_RetriesWithBackoffAndSucceeds()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Error(503, "internal_error"),
            () => FakeHandler.Error(503, "internal_error"),
            () => FakeHandler.Json(200, FakeHandler.TrackOk));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time, o => o.BaseDelay = TimeSpan.FromMilliseconds(100));

        var result = await client.Balances.TrackAsync(Track);

        Assert.Equal("c1", result.CustomerId);
        Assert.Equal(3, handler.Count);
        // Full jitter with a fixed 0.5 draw: half of 100 ms, then half of 200 ms.
        Assert.Equal([TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100)], time.Delays);
    }

    [Fact]
    public async Task Backoff_ManyRetries_IsCappedByMaxDelay()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(500, "internal_error"));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time, o =>
        {
            o.MaxRetries = 5;
            o.BaseDelay = TimeSpan.FromSeconds(1);
            o.MaxDelay = TimeSpan.FromSeconds(3);
        }, jitter: 1.0);

        var e = await Assert.ThrowsAsync<TallyApiException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(500, e.StatusCode);
        Assert.Equal(6, handler.Count);
        Assert.Equal(new[] { 1d, 2, 3, 3, 3 }.Select(TimeSpan.FromSeconds), time.Delays);
    }

    [Fact]
    public async Task Backoff_FullJitter_WaitsBetweenZeroAndTheCap()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(502, "unknown"), () => FakeHandler.Json(200, FakeHandler.TrackOk));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time, o => o.BaseDelay = TimeSpan.FromSeconds(1), jitter: 0.25);

        await client.Balances.TrackAsync(Track);

        Assert.Equal(TimeSpan.FromMilliseconds(250), Assert.Single(time.Delays));
    }

    [Fact]
    public async Task RetryAfter_SecondsOn429_IsHonoured()
    {
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Json(429, """{"message":"slow down","code":"rate_limited"}""",
                r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(2))),
            () => FakeHandler.Json(200, FakeHandler.TrackOk));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time);

        await client.Balances.TrackAsync(Track);

        Assert.Equal(2, handler.Count);
        Assert.Equal(TimeSpan.FromSeconds(2), Assert.Single(time.Delays));
    }

    [Fact]
    public async Task RetryAfter_DateOn503_IsHonoured()
    {
        var time = new FakeTimeProvider();
        var handler = FakeHandler.Sequence(
            () => FakeHandler.Json(503, "", r => r.Headers.RetryAfter = new RetryConditionHeaderValue(time.Now.AddSeconds(3))),
            () => FakeHandler.Json(200, FakeHandler.TrackOk));
        var client = Fake.Client(handler, time);

        await client.Balances.TrackAsync(Track);

        Assert.Equal(TimeSpan.FromSeconds(3), Assert.Single(time.Delays));
    }

    [Fact]
    public async Task RetryAfter_LongerThanMaxDelay_IsNotWaitedFor()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(429, """{"message":"later","code":"rate_limited"}""",
            r => r.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(60))));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time);

        var e = await Assert.ThrowsAsync<TallyApiException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(429, e.StatusCode);
        Assert.Equal("rate_limited", e.Code);
        Assert.Equal(TimeSpan.FromSeconds(60), e.RetryAfter);
        Assert.Equal(1, handler.Count);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task Send_429Always_GivesUpAfterMaxRetries()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(429, "rate_limited"));
        var client = Fake.Client(handler, configure: o => o.MaxRetries = 2);

        var e = await Assert.ThrowsAsync<TallyApiException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(429, e.StatusCode);
        Assert.Equal(3, handler.Count);
    }

    [Fact]
    public async Task Send_MaxRetriesZero_SendsOnce()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(503, "internal_error"));
        var client = Fake.Client(handler, configure: o => o.MaxRetries = 0);

        await Assert.ThrowsAsync<TallyApiException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [InlineData(400, "invalid_inputs")]
    [InlineData(401, "invalid_secret_key")]
    [InlineData(404, "customer_not_found")]
    [InlineData(409, "duplicate_idempotency_key")]
    [InlineData(422, "unprocessable")]
    public async Task Send_Other4xx_IsNeverRetried(int status, string code)
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(status, code, "no such thing"));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time);

        var e = await Assert.ThrowsAsync<TallyApiException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(status, e.StatusCode);
        Assert.Equal(code, e.Code);
        Assert.Equal("no such thing", e.Message);
        Assert.Equal("sandbox", e.Env);
        Assert.Equal(1, handler.Count);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task IdempotencyKey_Retries_ReuseKeyAndBytesAndTwoCallsDiffer()
    {
        var handler = new FakeHandler((i, _, _) => Task.FromResult(i is 0 or 1 or 3
            ? FakeHandler.Error(503, "internal_error")
            : FakeHandler.Json(200, FakeHandler.TrackOk)));
        var client = Fake.Client(handler);

        await client.Balances.TrackAsync(Track);
        await client.Balances.TrackAsync(Track);

        var seen = handler.Requests.ToList();
        Assert.Equal(5, seen.Count);
        var first = seen.Take(3).ToList();
        var second = seen.Skip(3).ToList();
        var key1 = first[0].Header("Idempotency-Key");
        var key2 = second[0].Header("Idempotency-Key");
        Assert.False(string.IsNullOrEmpty(key1));
        Assert.All(first, r => Assert.Equal(key1, r.Header("Idempotency-Key")));
        Assert.All(first, r => Assert.Equal(first[0].Body, r.Body));
        Assert.All(second, r => Assert.Equal(key2, r.Header("Idempotency-Key")));
        Assert.NotEqual(key1, key2);
        // Track also carries the key in its body, which the server scopes to the customer.
        Assert.Equal(key1, BodyString(first[0], "idempotency_key"));
        Assert.Equal(key2, BodyString(second[0], "idempotency_key"));
        // The caller's object is left as it was, so reusing it is a new call, not a replay.
        Assert.Null(Track.IdempotencyKey);
    }

    [Fact]
    public async Task Track_CallerIdempotencyKey_IsUsedForHeaderAndBody()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(503, "internal_error"), () => FakeHandler.Json(200, FakeHandler.TrackOk));
        var client = Fake.Client(handler);

        await client.Balances.TrackAsync(new TrackParams { CustomerId = "c1", FeatureId = "messages", IdempotencyKey = "req-1" });

        Assert.All(handler.Requests, r =>
        {
            Assert.Equal("req-1", r.Header("Idempotency-Key"));
            Assert.Equal("req-1", BodyString(r, "idempotency_key"));
        });
    }

    [Fact]
    public async Task IdempotencyKey_MutationsAndReads_SentByMutationsOnly()
    {
        var handler = new FakeHandler((_, request, _) => Task.FromResult(FakeHandler.Json(200, ResponseFor(request.RequestUri!))));
        var client = Fake.Client(handler);

        await client.Balances.CheckAsync(new CheckParams { CustomerId = "c1", FeatureId = "f" });
        await client.Balances.CheckAsync(new CheckParams { CustomerId = "c1", FeatureId = "f", SendEvent = true });
        await client.Balances.CreateAsync(new CreateBalanceParams { CustomerId = "c1", FeatureId = "f" });
        await client.Balances.UpdateAsync(new UpdateBalanceParams { CustomerId = "c1", FeatureId = "f", Remaining = 1 });
        await client.Balances.DeleteAsync(new DeleteBalanceParams { CustomerId = "c1", FeatureId = "f" });
        await client.Balances.BatchTrackAsync([Track]);
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "c1" });
        await client.Customers.GetAsync(new GetCustomerParams { CustomerId = "c1" });
        await client.Customers.ListAsync();
        await client.Customers.UpdateAsync(new UpdateCustomerParams { CustomerId = "c1", Name = "n" });
        await client.Customers.DeleteAsync(new DeleteCustomerParams { CustomerId = "c1" });
        await client.Features.CreateAsync(new CreateFeatureParams { FeatureId = "f", Name = "F", Type = "metered" });
        await client.Features.GetAsync(new GetFeatureParams { FeatureId = "f" });
        await client.Features.ListAsync();
        await client.Features.UpdateAsync(new UpdateFeatureParams { FeatureId = "f", Name = "G" });
        await client.Features.DeleteAsync(new DeleteFeatureParams { FeatureId = "f" });
        await client.Plans.CreateAsync(new CreatePlanParams { PlanId = "p", Name = "P" });
        await client.Plans.GetAsync(new GetPlanParams { PlanId = "p" });
        await client.Plans.ListAsync();
        await client.Plans.UpdateAsync(new UpdatePlanParams { PlanId = "p", Name = "Q" });
        await client.Plans.DeleteAsync(new DeletePlanParams { PlanId = "p" });
        await client.Entities.CreateAsync(new CreateEntityParams { CustomerId = "c1", EntityId = "e", FeatureId = "seats" });
        await client.Entities.GetAsync(new GetEntityParams { EntityId = "e" });
        await client.Entities.ListAsync();
        await client.Entities.UpdateAsync(new UpdateEntityParams { EntityId = "e" });
        await client.Entities.DeleteAsync(new DeleteEntityParams { EntityId = "e" });
        await client.Billing.AttachAsync(new AttachParams { CustomerId = "c1", PlanId = "p" });
        await client.Events.ListAsync();

        var keyed = handler.Requests.Select(r => (Route: r.Uri.AbsolutePath, Keyed: r.Header("Idempotency-Key") is not null)).ToList();
        var reads = new[]
        {
            "/v1/customers.get", "/v1/customers.list", "/v1/features.get", "/v1/features.list", "/v1/plans.get", "/v1/plans.list",
            "/v1/entities.get", "/v1/entities.list", "/v1/events.list",
        };
        Assert.Equal(28, keyed.Count);
        Assert.Equal((false, true), (keyed[0].Keyed, keyed[1].Keyed)); // check, check with send_event
        Assert.All(keyed.Skip(2), k => Assert.Equal(!reads.Contains(k.Route), k.Keyed));
        // 18 writes, each with its own key, plus "no key" for the 10 reads.
        Assert.Equal(19, handler.Requests.Select(r => r.Header("Idempotency-Key")).Distinct().Count());
    }

    [Fact]
    public async Task Send_AnyRequest_CarriesAuthVersionJsonHeadersAndKeepsBasePath()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(200, FakeHandler.CheckOk));
        var client = Fake.Client(handler, configure: o => o.BaseUrl = new Uri("http://tally.test/metering"));

        await client.Balances.CheckAsync(new CheckParams { CustomerId = "c1", FeatureId = "messages", RequiredBalance = 5 });

        var r = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, r.Method);
        Assert.Equal("http://tally.test/metering/v1/balances.check", r.Uri.ToString());
        Assert.Equal("Bearer am_sk_test_fake", r.Header("Authorization"));
        Assert.Equal("2.3.0", r.Header("x-api-version"));
        Assert.StartsWith("application/json", r.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("""{"customer_id":"c1","feature_id":"messages","required_balance":5}""", r.Body);
    }

    [Fact]
    public async Task Send_NetworkErrors_RetriedThenSurfaceAsHttpRequestException()
    {
        var handler = new FakeHandler((_, _, _) => throw new HttpRequestException("connection refused"));
        var time = new FakeTimeProvider();
        var client = Fake.Client(handler, time, o => o.MaxRetries = 2);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(3, handler.Count);
        Assert.Equal(2, time.Delays.Count);
    }

    [Fact]
    public async Task Send_NetworkErrorThenSuccess_ReturnsTheAnswer()
    {
        var handler = new FakeHandler((i, _, _) => i == 0
            ? throw new HttpRequestException("reset by peer")
            : Task.FromResult(FakeHandler.Json(200, FakeHandler.TrackOk)));
        var client = Fake.Client(handler);

        var result = await client.Balances.TrackAsync(Track);

        Assert.Equal("c1", result.CustomerId);
        Assert.Equal(2, handler.Count);
        Assert.Single(handler.Requests.Select(r => r.Header("Idempotency-Key")).Distinct());
    }

    [Fact]
    public async Task Send_AttemptTimeouts_RetriedThenSurfaceAsTimeoutException()
    {
        var handler = new FakeHandler(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            throw new InvalidOperationException("unreachable");
        });
        var client = Fake.Client(handler, configure: o =>
        {
            o.TimeProvider = TimeProvider.System;
            o.RequestTimeout = TimeSpan.FromMilliseconds(50);
            o.MaxRetries = 1;
            o.BaseDelay = TimeSpan.Zero;
        });

        await Assert.ThrowsAsync<TimeoutException>(() => client.Balances.TrackAsync(Track));

        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Send_InjectedHttpClientTimeout_CountsAsARetryableTimeout()
    {
        var handler = new FakeHandler(async (i, _, ct) =>
        {
            if (i == 0)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            return FakeHandler.Json(200, FakeHandler.TrackOk);
        });
        var http = new HttpClient(handler) { BaseAddress = Fake.BaseUrl, Timeout = TimeSpan.FromMilliseconds(100) };
        var client = new TallyClient(http, new TallyClientOptions { SecretKey = "am_sk_test_fake", BaseDelay = TimeSpan.Zero });

        var result = await client.Balances.TrackAsync(Track);

        Assert.Equal("c1", result.CustomerId);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Send_CancelledDuringBackoff_StopsPromptly()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Error(503, "internal_error"));
        var client = Fake.Client(handler, configure: o =>
        {
            o.TimeProvider = TimeProvider.System;
            o.BaseDelay = TimeSpan.FromSeconds(30);
            o.MaxDelay = TimeSpan.FromSeconds(30);
        }, jitter: 1.0);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Balances.TrackAsync(Track, cts.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Send_CancelledDuringRequest_IsNotRetried()
    {
        var handler = new FakeHandler(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return FakeHandler.Json(200, FakeHandler.TrackOk);
        });
        var client = Fake.Client(handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Balances.TrackAsync(Track, cts.Token));

        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Send_AlreadyCancelledToken_SendsNothing()
    {
        var handler = FakeHandler.Sequence(() => FakeHandler.Json(200, FakeHandler.TrackOk));
        var client = Fake.Client(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Balances.TrackAsync(Track, new CancellationToken(true)));

        Assert.Equal(0, handler.Count);
    }

    private static string? BodyString(SeenRequest r, string name)
    {
        using var doc = JsonDocument.Parse(r.Body);
        return doc.RootElement.TryGetProperty(name, out var v) ? v.GetString() : null;
    }

    private static string ResponseFor(Uri uri) => uri.AbsolutePath switch
    {
        "/v1/balances.check" => FakeHandler.CheckOk,
        "/v1/customers.get_or_create" or "/v1/customers.get" or "/v1/customers.update" => """{"id":"c1","created_at":1,"env":"sandbox"}""",
        "/v1/customers.list" or "/v1/entities.list" or "/v1/events.list" => """{"list":[],"next_cursor":null}""",
        "/v1/features.create" or "/v1/features.get" or "/v1/features.update" => """{"id":"f","name":"F","type":"metered","consumable":true,"archived":false}""",
        "/v1/features.list" or "/v1/plans.list" => """{"list":[]}""",
        "/v1/plans.create" or "/v1/plans.get" or "/v1/plans.update" => """{"id":"p","name":"P","version":1,"items":[],"created_at":1,"env":"sandbox","archived":false,"config":{},"metadata":{}}""",
        "/v1/entities.create" or "/v1/entities.get" or "/v1/entities.update" => """{"id":"e","name":null,"created_at":1,"env":"sandbox"}""",
        "/v1/billing.attach" => """{"customer_id":"c1","payment_url":null}""",
        _ => FakeHandler.Success,
    };
}
