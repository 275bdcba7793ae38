using Tally.Contracts;

namespace Tally.Server.Tests.Api;

/// <summary>The largest quantities the API accepts are computed with, and never leave a customer unreadable.</summary>
public sealed class LimitsTests(TallyApp app) : IClassFixture<TallyApp>
{
    private const decimal Max = 1_000_000_000_000_000m;
    private TallyApi Api => app.Api;

    [Fact]
    public async Task LargestQuantities_AreComputedWith_AndTheCustomerStaysReadable()
    {
        var messages = await Api.MeteredFeatureAsync();
        var credits = await Api.CreditSystemAsync((messages, 1_000_000_000m));
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(Max);
        (await Api.PostAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = credits, IncludedGrant = Max })).ShouldBe(200);

        for (var i = 0; i < 5; i++)
        {
            (await Api.TrackAsync(customer, feature, Max, overage: "overflow")).ShouldBe(200);
        }
        (await Api.PostAsync("balances.update", new UpdateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = Max })).ShouldBe(200);
        var check = (await Api.CheckAsync(customer, messages, Max)).ShouldBe(200).As(TallyJsonContext.Default.CheckResponse);
        (await Api.TrackAsync(customer, messages, Max)).ShouldBe(200);
        (await Api.TrackAsync(customer, messages, -Max)).ShouldBe(200);
        var b = await Api.BalanceAsync(customer, feature);

        Assert.False(check.Allowed);
        Assert.Equal(Max * 1_000_000_000m, check.RequiredBalance);
        Assert.Equal(5 * Max, b!.Usage);
        Assert.Equal(0m, b.Remaining);
        Assert.Equal(7, (await Api.EventsAsync(customer)).Count);
    }
}
