namespace Tally.Core.Tests;

/// <summary>The test-clock rule every unit of work and the reset sweeper share: a customer's own "now".</summary>
public sealed class CustomerNowTests
{
    private static readonly DateTimeOffset ServerNow = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NowAt_WithoutTestClock_IsTheServersNow()
    {
        var customer = new Customer { Id = "cus_1" };

        Assert.Equal(ServerNow, customer.NowAt(ServerNow));
    }

    [Fact]
    public void NowAt_WithTestClock_IsTheTestClock_AheadOrBehindTheServer()
    {
        var ahead = new Customer { Id = "cus_1", TestClock = ServerNow.AddDays(40) };
        var behind = new Customer { Id = "cus_2", TestClock = ServerNow.AddDays(-2) };

        Assert.Equal(ServerNow.AddDays(40), ahead.NowAt(ServerNow));
        Assert.Equal(ServerNow.AddDays(-2), behind.NowAt(ServerNow));
    }
}
