using Tally.Contracts;

namespace Tally.Server.Tests.Http;

/// <summary>
/// Idempotency keys are scoped unambiguously (a customer id containing ':' cannot borrow another customer's key), and
/// a track carrying both an Idempotency-Key header and a body idempotency_key is held by each of them.
/// </summary>
public sealed class IdempotencyScopeTests(TallyApp app) : IClassFixture<TallyApp>
{
    private TallyApi Api => app.Api;

    private async Task<(string Feature, string Plan)> PlanAsync()
    {
        var feature = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(feature, 100));
        return (feature, plan);
    }

    [Fact]
    public async Task Track_BodyKeysOfCustomersWhoseIdsShareAColon_DoNotCollide()
    {
        var (feature, plan) = await PlanAsync();
        var stem = Id.New("cus");
        var withColon = await Api.CustomerAsync(stem + ":y");
        var plain = await Api.CustomerAsync(stem);
        await Api.AttachAsync(withColon, plan);
        await Api.AttachAsync(plain, plan);

        var first = await Api.PostAsync("balances.track", new TrackParams { CustomerId = withColon, FeatureId = feature, Value = 3, IdempotencyKey = "k" });
        var second = await Api.PostAsync("balances.track", new TrackParams { CustomerId = plain, FeatureId = feature, Value = 5, IdempotencyKey = "y:k" });

        first.ShouldBe(200);
        second.ShouldBe(200);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(97m, (await Api.BalanceAsync(withColon, feature))!.Remaining);
        Assert.Equal(95m, (await Api.BalanceAsync(plain, feature))!.Remaining);
    }

    [Fact]
    public async Task Track_SameHeaderWithAFreshBodyKey_Is409_AndAppliedOnce()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = Id.New("hdr") };

        var first = await Api.PostAsync("balances.track",
            new TrackParams { CustomerId = customer, FeatureId = feature, Value = 4, IdempotencyKey = Id.New("body") }, headers: headers);
        var retry = await Api.PostAsync("balances.track",
            new TrackParams { CustomerId = customer, FeatureId = feature, Value = 4, IdempotencyKey = Id.New("body") }, headers: headers);

        first.ShouldBe(200);
        retry.ShouldFail(409, "duplicate_idempotency_key");
        Assert.Equal(96m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Single(await Api.EventsAsync(customer));
    }

    [Fact]
    public async Task Track_SameBodyKeyWithAFreshHeader_IsReplayed_AndTheHeaderStillHolds()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var body = new TrackParams { CustomerId = customer, FeatureId = feature, Value = 2, IdempotencyKey = Id.New("body") };
        var header = Id.New("hdr");

        var first = await Api.PostAsync("balances.track", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = header });
        var freshHeader = await Api.PostAsync("balances.track", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = Id.New("hdr") });
        var sameHeader = await Api.PostAsync("balances.track", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = header });
        var otherBody = await Api.PostAsync("balances.track",
            new TrackParams { CustomerId = customer, FeatureId = feature, Value = 9 }, headers: new Dictionary<string, string> { ["Idempotency-Key"] = header });

        first.ShouldBe(200);
        freshHeader.ShouldBe(200);
        Assert.Equal(first.Text, freshHeader.Text);
        Assert.True(freshHeader.Headers.Contains("Idempotent-Replayed"));
        sameHeader.ShouldBe(200);
        Assert.Equal(first.Text, sameHeader.Text);
        otherBody.ShouldFail(409, "duplicate_idempotency_key");
        Assert.Equal(98m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Single(await Api.EventsAsync(customer));
    }
}
