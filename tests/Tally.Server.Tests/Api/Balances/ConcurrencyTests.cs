using Tally.Contracts;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>Concurrent requests through the whole HTTP pipeline: no lost or double-counted usage, idempotent retries apply once.</summary>
public sealed class ConcurrencyTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private static Task<ApiResult[]> InParallel(int n, Func<int, Task<ApiResult>> call) =>
        Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(() => call(i))));

    [Fact]
    public async Task Tracks_200InParallelOnABalanceOf50_CapAtZero_AndRecordEveryEvent()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(50);

        var results = await InParallel(200, _ => Api.TrackAsync(customer, feature, 1));

        Assert.All(results, r => r.ShouldBe(200));
        var b = await Api.BalanceAsync(customer, feature);
        Assert.Equal(0m, b!.Remaining);
        Assert.Equal(50m, b.Usage);
        var events = await Api.EventsAsync(customer);
        Assert.Equal(200, events.Count);
        Assert.Equal(200, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal(50m, events.Sum(e => e.Deductions!.Sum(d => d.Value)));
        Assert.Equal(50, events.Count(e => e.Deductions!.Count == 1));
    }

    [Fact]
    public async Task SendEventChecks_100InParallelOnABalanceOf30_AllowExactly30()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(30);

        var results = await InParallel(100, _ => Api.CheckAsync(customer, feature, 1, sendEvent: true));

        Assert.All(results, r => r.ShouldBe(200));
        Assert.Equal(30, results.Count(r => r.Json.GetProperty("allowed").GetBoolean()));
        var b = await Api.BalanceAsync(customer, feature);
        Assert.Equal(0m, b!.Remaining);
        Assert.Equal(30m, b.Usage);
        Assert.Equal(30, (await Api.EventsAsync(customer)).Count);
    }

    [Fact]
    public async Task RejectTracks_InParallel_NeverOverdraw()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        var results = await InParallel(60, _ => Api.TrackAsync(customer, feature, 7, overage: "reject"));

        Assert.Equal(14, results.Count(r => r.Status == 200));
        Assert.All(results.Where(r => r.Status != 200), r => r.ShouldFail(400, "insufficient_balance"));
        Assert.Equal(2m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Equal(14, (await Api.EventsAsync(customer)).Count);
    }

    [Fact]
    public async Task SameBodyIdempotencyKey_50ConcurrentRetries_ApplyOnce_WithByteIdenticalAnswers()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var body = new TrackParams { CustomerId = customer, FeatureId = feature, Value = 7, IdempotencyKey = Id.New("req") };

        var results = await InParallel(50, _ => Api.PostAsync("balances.track", body));

        Assert.All(results, r => r.ShouldBe(200));
        Assert.All(results, r => Assert.Equal(results[0].Body, r.Body));
        Assert.Equal(49, results.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(93m, results[0].Json.GetProperty("balance").Dec("remaining"));
        var b = await Api.BalanceAsync(customer, feature);
        Assert.Equal(93m, b!.Remaining);
        Assert.Equal(7m, b.Usage);
        Assert.Single(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task SameIdempotencyKeyHeader_50ConcurrentRetries_ApplyOnce_WithByteIdenticalAnswers()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = Id.New("hdr") };
        var body = new TrackParams { CustomerId = customer, FeatureId = feature, Value = 3 };

        var results = await InParallel(50, _ => Api.PostAsync("balances.track", body, headers: headers));

        Assert.All(results, r => r.ShouldBe(200));
        Assert.All(results, r => Assert.Equal(results[0].Body, r.Body));
        Assert.Equal(97m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Single(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task SameKey_DifferentBody_Is409DuplicateIdempotencyKey_AndChangesNothing()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var key = Id.New("req");
        (await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 5, IdempotencyKey = key })).ShouldBe(200);

        var otherValue = await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 6, IdempotencyKey = key });
        var otherProperties = await Api.PostAsync("balances.track",
            $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","value":5,"idempotency_key":"{{{key}}}","properties":{"a":1}}""");

        otherValue.ShouldFail(409, "duplicate_idempotency_key");
        otherProperties.ShouldFail(409, "duplicate_idempotency_key");
        Assert.Equal(95m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Single(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task SameKeyHeader_DifferentRoute_Is409()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = Id.New("hdr") };
        (await Api.PostAsync("balances.update", new UpdateBalanceParams { CustomerId = customer, FeatureId = feature, AddToBalance = 5 }, headers: headers)).ShouldBe(200);

        var res = await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 5 }, headers: headers);

        res.ShouldFail(409, "duplicate_idempotency_key");
        Assert.Equal(105m, (await Api.BalanceAsync(customer, feature))!.Remaining);
    }

    [Fact]
    public async Task RejectedRequest_DoesNotConsumeItsKey()
    {
        var feature = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(feature, 10));
        var customer = Id.New("cus");
        var key = Id.New("req");
        var body = new TrackParams { CustomerId = customer, FeatureId = feature, Value = 4, IdempotencyKey = key };

        // 404: the customer does not exist yet.
        (await Api.PostAsync("balances.track", body)).ShouldFail(404, "customer_not_found");
        await Api.CustomerAsync(customer);
        await Api.AttachAsync(customer, plan);
        var fixedUp = await Api.PostAsync("balances.track", body);

        Assert.Equal(6m, fixedUp.ShouldBe(200).Json.GetProperty("balance").Dec("remaining"));
        Assert.False(fixedUp.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task RejectedRequest_DoesNotConsumeItsKey_EvenWithAnotherBodyOnRetry()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        var key = Id.New("req");
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = key };

        var tooMuch = await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 50, OverageBehavior = "reject", IdempotencyKey = key });
        var invalid = await Api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":"x"}""", headers: headers);
        var retried = await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 5, OverageBehavior = "reject", IdempotencyKey = key });
        var retriedHeader = await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 2 }, headers: headers);

        tooMuch.ShouldFail(400, "insufficient_balance");
        invalid.ShouldBeInvalid("value");
        Assert.Equal(5m, retried.ShouldBe(200).Json.GetProperty("balance").Dec("remaining"));
        Assert.Equal(3m, retriedHeader.ShouldBe(200).Json.GetProperty("balance").Dec("remaining"));
        Assert.Equal(2, (await Api.EventsAsync(customer)).Count);
    }

    [Fact]
    public async Task GetOrCreate_SameIdInParallel_MakesOneCustomer()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 10));
        var customer = Id.New("cus");

        var created = await InParallel(30, _ => Api.PostAsync("customers.get_or_create", new GetOrCreateCustomerParams { CustomerId = customer }));
        var attached = await InParallel(20, _ => Api.PostAsync("billing.attach", new AttachParams { CustomerId = customer, PlanId = plan }));

        Assert.All(created, r => r.ShouldBe(200));
        Assert.Single(created.Select(r => r.Json.GetProperty("created_at").GetInt64()).Distinct());
        Assert.Equal(1, attached.Count(r => r.Status == 200));
        Assert.All(attached.Where(r => r.Status != 200), r => r.ShouldFail(409, "plan_already_attached"));
        var c = await Api.GetCustomerAsync(customer);
        Assert.Single(c.Subscriptions);
        Assert.Equal(10m, c.Balances[msg].Granted);
    }

    [Fact]
    public async Task Entities_CreatedInParallel_EachTakeOneSeat()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var plan = await Api.PlanAsync(Setup.Item(seats, 100, interval: null));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);

        var results = await InParallel(40, i => Api.PostAsync("entities.create",
            new CreateEntityParams { CustomerId = customer, EntityId = $"u{i % 20}", FeatureId = seats }));

        Assert.Equal(20, results.Count(r => r.Status == 200));
        Assert.All(results.Where(r => r.Status != 200), r => r.ShouldFail(409, "entity_already_exists"));
        var b = await Api.BalanceAsync(customer, seats);
        Assert.Equal(20m, b!.Usage);
        Assert.Equal(80m, b.Remaining);
    }

    [Fact]
    public async Task ManyCustomers_TrackedInParallel_KeepTheirOwnCounts()
    {
        var feature = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(feature, 1000));
        var customers = new string[8];
        for (var i = 0; i < customers.Length; i++)
        {
            customers[i] = await Api.CustomerAsync();
            await Api.AttachAsync(customers[i], plan);
        }

        var results = await InParallel(400, i => Api.TrackAsync(customers[i % customers.Length], feature, 1 + (i % 3)));

        Assert.All(results, r => r.ShouldBe(200));
        for (var c = 0; c < customers.Length; c++)
        {
            var expected = Enumerable.Range(0, 400).Where(i => i % customers.Length == c).Sum(i => 1 + (i % 3));
            Assert.Equal(expected, (await Api.BalanceAsync(customers[c], feature))!.Usage);
        }
    }
}
