using Tally.Contracts;

namespace Tally.Server.Tests.Http;

/// <summary>
/// A retry with the same Idempotency-Key and body answers the original response byte for byte (with
/// Idempotent-Replayed: true), even where the original's own success would make the retry fail: the id now
/// exists, the plan is attached, the entity or the old customer id is gone, the lock is held.
/// </summary>
public sealed class IdempotentRetryTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private async Task<(ApiResult First, ApiResult Retry)> TwiceAsync(string route, object body, string? key = null)
    {
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = key ?? Id.New("key") };
        var first = await Api.PostAsync(route, body, headers: headers);
        var retry = await Api.PostAsync(route, body, headers: headers);
        return (first, retry);
    }

    private static void Replayed(ApiResult first, ApiResult retry, int status = 200)
    {
        first.ShouldBe(status);
        retry.ShouldBe(status);
        Assert.Equal(first.Text, retry.Text);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
    }

    [Fact]
    public async Task FeaturesCreate_Retry_IsReplayed_NotDuplicateFeatureId()
    {
        var id = Id.New("f");

        var (first, retry) = await TwiceAsync("features.create", new CreateFeatureParams { FeatureId = id, Name = id, Type = "boolean" });

        Replayed(first, retry);
    }

    [Fact]
    public async Task PlansCreate_Retry_IsReplayed_NotProductAlreadyExists()
    {
        var id = Id.New("p");

        var (first, retry) = await TwiceAsync("plans.create", new CreatePlanParams { PlanId = id, Name = id });

        Replayed(first, retry);
    }

    [Fact]
    public async Task Attach_Retry_IsReplayed_NotPlanAlreadyAttached()
    {
        var feature = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(feature, 10));
        var customer = await Api.CustomerAsync();

        var (first, retry) = await TwiceAsync("billing.attach", new AttachParams { CustomerId = customer, PlanId = plan });

        Replayed(first, retry);
        Assert.Single((await Api.GetCustomerAsync(customer)).Subscriptions);
    }

    [Fact]
    public async Task EntitiesCreate_Retry_IsReplayed_AndTakesOneSeat()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var customer = await Api.CustomerAsync();

        var (first, retry) = await TwiceAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "u1", FeatureId = seats });

        Replayed(first, retry);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EntitiesDelete_Retry_IsReplayed_NotEntityNotFound(bool withCustomerId)
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var customer = await Api.CustomerAsync();
        var entity = Id.New("ent");
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = entity, FeatureId = seats }, C.EntityResponse);

        var (first, retry) = await TwiceAsync("entities.delete", new DeleteEntityParams { EntityId = entity, CustomerId = withCustomerId ? customer : null });
        var fresh = await Api.PostAsync("entities.delete", new DeleteEntityParams { EntityId = entity });

        Replayed(first, retry);
        fresh.ShouldFail(404, "entity_not_found");
    }

    [Fact]
    public async Task CustomersDelete_Retry_IsReplayed()
    {
        var customer = await Api.CustomerAsync();

        var (first, retry) = await TwiceAsync("customers.delete", new DeleteCustomerParams { CustomerId = customer });

        Replayed(first, retry);
    }

    [Fact]
    public async Task CustomersUpdate_RenameRetry_IsReplayed_NotCustomerNotFound()
    {
        var customer = await Api.CustomerAsync();
        var renamed = Id.New("cus");

        var (first, retry) = await TwiceAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, NewCustomerId = renamed, Name = "Moved" });
        var again = await Api.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, NewCustomerId = renamed });

        Replayed(first, retry);
        Assert.Equal(renamed, first.Json.Str("id"));
        again.ShouldFail(404, "customer_not_found");
    }

    [Fact]
    public async Task CustomersUpdate_RenameWithAKeyUsedForAnotherBody_Is409_AndRenamesNothing()
    {
        var customer = await Api.CustomerAsync();
        var key = Id.New("key");
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = key };
        (await Api.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, Name = "A" }, headers: headers)).ShouldBe(200);

        var res = await Api.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, NewCustomerId = Id.New("cus") }, headers: headers);

        res.ShouldFail(409, "duplicate_idempotency_key");
        Assert.Equal("A", (await Api.GetCustomerAsync(customer)).Name);
    }

    [Fact]
    public async Task TrackWithLock_Retry_IsReplayed_NotLockAlreadyExists()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        var body = new TrackParams
        {
            CustomerId = customer,
            FeatureId = feature,
            Value = 2,
            IdempotencyKey = Id.New("req"),
            Lock = new LockParams { LockId = Id.New("lock"), Enabled = true },
        };

        var first = await Api.PostAsync("balances.track", body);
        var retry = await Api.PostAsync("balances.track", body);
        var otherRequest = await Api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 1, Lock = body.Lock });

        Replayed(first, retry);
        otherRequest.ShouldFail(409, "lock_already_exists");
        Assert.Equal(8m, (await Api.BalanceAsync(customer, feature))!.Remaining);
    }

    [Fact]
    public async Task CheckWithLock_Retry_IsReplayed_NotLockAlreadyExists()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(10);
        var body = new CheckParams { CustomerId = customer, FeatureId = feature, RequiredBalance = 3, Lock = new LockParams { LockId = Id.New("lock"), Enabled = true } };

        var (first, retry) = await TwiceAsync("balances.check", body);

        Replayed(first, retry);
        Assert.True(first.Json.GetProperty("allowed").GetBoolean());
        Assert.Equal(7m, (await Api.BalanceAsync(customer, feature))!.Remaining);
    }

    [Fact]
    public async Task BalancesCreate_Retry_IsReplayed_NotDuplicateBalanceId()
    {
        var feature = await Api.MeteredFeatureAsync();
        var customer = await Api.CustomerAsync();

        var (first, retry) = await TwiceAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = 5, BalanceId = "promo" });

        Replayed(first, retry);
        Assert.Equal(5m, (await Api.BalanceAsync(customer, feature))!.Granted);
    }

    [Fact]
    public async Task BatchTrack_Retry_AppliesOnce()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var body = $$"""[{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":10},{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":5}]""";

        var (first, retry) = await TwiceAsync("balances.batch_track", body);

        first.ShouldBe(202);
        retry.ShouldBe(202);
        Assert.Equal(85m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Equal(2, (await Api.EventsAsync(customer)).Count);
    }
}
