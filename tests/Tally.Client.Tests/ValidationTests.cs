namespace Tally.Client.Tests;

/// <summary>Caller mistakes fail with an <see cref="ArgumentException"/> before anything is sent.</summary>
public sealed class ValidationTests
{
    private readonly FakeHandler _handler = FakeHandler.Sequence(() => FakeHandler.Json(200, FakeHandler.Success));

    private TallyClient Client => Fake.Client(_handler);

    [Fact]
    public async Task UpdateBalance_RemainingAndAddToBalance_IsRejected()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.UpdateAsync(
            new UpdateBalanceParams { CustomerId = "c1", FeatureId = "messages", Remaining = 10, AddToBalance = 5 }));

        Assert.Contains("Remaining", e.Message, StringComparison.Ordinal);
        Assert.Contains("AddToBalance", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _handler.Count);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("messages", "message_sent")]
    public async Task Track_NotExactlyOneOfFeatureIdAndEventName_IsRejected(string? featureId, string? eventName)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.TrackAsync(
            new TrackParams { CustomerId = "c1", FeatureId = featureId, EventName = eventName }));

        Assert.Contains("exactly one of FeatureId and EventName", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _handler.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task AnyCall_EmptyCustomerId_IsRejected(string id)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.TrackAsync(new TrackParams { CustomerId = id, FeatureId = "f" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.CheckAsync(new CheckParams { CustomerId = id, FeatureId = "f" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.CreateAsync(new CreateBalanceParams { CustomerId = id, FeatureId = "f" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.UpdateAsync(new UpdateBalanceParams { CustomerId = id, FeatureId = "f" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.DeleteAsync(new DeleteBalanceParams { CustomerId = id }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = id }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Customers.GetAsync(new GetCustomerParams { CustomerId = id }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Customers.UpdateAsync(new UpdateCustomerParams { CustomerId = id }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Customers.DeleteAsync(new DeleteCustomerParams { CustomerId = id }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Entities.CreateAsync(new CreateEntityParams { CustomerId = id, EntityId = "e", FeatureId = "f" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Billing.AttachAsync(new AttachParams { CustomerId = id, PlanId = "p" }));
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public async Task GetOrCreate_NullCustomerId_IsAccepted()
    {
        _ = await Record.ExceptionAsync(() => Client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = null, Email = "a@b.c" }));

        Assert.Equal(1, _handler.Count);
    }

    [Fact]
    public async Task AnyCall_EmptyResourceId_IsRejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.CheckAsync(new CheckParams { CustomerId = "c1", FeatureId = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.TrackAsync(new TrackParams { CustomerId = "c1", EventName = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Features.GetAsync(new GetFeatureParams { FeatureId = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Plans.GetAsync(new GetPlanParams { PlanId = " " }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Entities.GetAsync(new GetEntityParams { EntityId = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Billing.AttachAsync(new AttachParams { CustomerId = "c1", PlanId = "" }));
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public async Task BatchTrack_BadSizeOrItem_IsRejectedNamingTheItem()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.BatchTrackAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.BatchTrackAsync(
            Enumerable.Range(0, BalancesClient.MaxBatchItems + 1).Select(_ => new TrackParams { CustomerId = "c1", FeatureId = "f" })));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Client.Balances.BatchTrackAsync(
            [new TrackParams { CustomerId = "c1", FeatureId = "f" }, new TrackParams { CustomerId = "c1" }]));

        Assert.Contains("items[1]", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public async Task AnyCall_NullParameters_AreRejected()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.Balances.TrackAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Client.Balances.CheckAsync(null!));
        Assert.Equal(0, _handler.Count);
    }

    [Fact]
    public void Options_MissingSecretKeyOrBaseUrl_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new TallyClient(new TallyClientOptions { BaseUrl = Fake.BaseUrl }));
        Assert.Throws<ArgumentException>(() => new TallyClient(new HttpClient(), new TallyClientOptions { SecretKey = "am_sk_test_x" }));
        Assert.Throws<ArgumentException>(() => new TallyClient(new TallyClientOptions { BaseUrl = new Uri("/relative", UriKind.Relative), SecretKey = "am_sk_test_x" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TallyClient(new TallyClientOptions { BaseUrl = Fake.BaseUrl, SecretKey = "am_sk_test_x", MaxRetries = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TallyClient(new TallyClientOptions { BaseUrl = Fake.BaseUrl, SecretKey = "am_sk_test_x", RequestTimeout = TimeSpan.Zero }));
    }

    [Fact]
    public async Task InjectedHttpClient_WithBaseAddress_SuppliesItAndIsLeftUnchanged()
    {
        var http = new HttpClient(_handler) { BaseAddress = new Uri("http://injected.test/") };
        var client = new TallyClient(http, new TallyClientOptions { SecretKey = "am_sk_test_x" });

        await client.Features.ListAsync();

        Assert.Equal("http://injected.test/v1/features.list", Assert.Single(_handler.Requests).Uri.ToString());
        Assert.Empty(http.DefaultRequestHeaders);
        // Still usable by its owner: Tally never disposes an injected client.
        await http.PostAsync(new Uri("http://injected.test/other"), null);
    }
}
