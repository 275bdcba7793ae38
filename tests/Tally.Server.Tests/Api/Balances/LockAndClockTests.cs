using Tally.Contracts;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>balances.finalize (autumn-api.md §4.8) and customers.advance_test_clock with the resets it triggers (§5.7).</summary>
public sealed class LockAndClockTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private async Task<string> LockAsync(string customer, string feature, decimal amount)
    {
        var lockId = Id.New("lock");
        var res = await Api.PostAsync("balances.check", new CheckParams
        {
            CustomerId = customer,
            FeatureId = feature,
            RequiredBalance = amount,
            Lock = new LockParams { LockId = lockId, Enabled = true },
        });
        Assert.True(res.ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
        return lockId;
    }

    [Fact]
    public async Task Finalize_ConfirmWithALowerValue_GivesBackTheDifference_AndRecordsTheEvent()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var lockId = await LockAsync(customer, feature, 30);
        var held = await Api.BalanceAsync(customer, feature);

        var res = await Api.PostAsync("balances.finalize", new FinalizeLockParams { LockId = lockId, Action = "confirm", OverrideValue = 12 });
        var again = await Api.PostAsync("balances.finalize", new FinalizeLockParams { LockId = lockId, Action = "release" });

        Assert.Equal(70m, held!.Remaining);
        Assert.True(res.ShouldBe(200).Json.GetProperty("success").GetBoolean());
        Assert.Equal(88m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        again.ShouldFail(409, "lock_already_finalized", lockId);
        Assert.Equal(12m, Assert.Single(await Api.EventsAsync(customer)).Value);
    }

    [Fact]
    public async Task Finalize_Release_ReturnsEverything()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var lockId = await LockAsync(customer, feature, 30);

        var res = await Api.PostAsync("balances.finalize", new FinalizeLockParams { LockId = lockId, Action = "release" });

        res.ShouldBe(200);
        Assert.Equal(100m, (await Api.BalanceAsync(customer, feature))!.Remaining);
        Assert.Empty(await Api.EventsAsync(customer));
    }

    [Theory]
    [InlineData("""{"lock_id":"no_such_lock","action":"confirm"}""", 400, "invalid_request", "Lock not found for ID: no_such_lock")]
    [InlineData("""{"lock_id":"x","action":"keep"}""", 400, "invalid_inputs", "action")]
    [InlineData("""{"lock_id":"x","action":"release","override_value":3}""", 400, "invalid_inputs", "override_value")]
    [InlineData("""{"action":"confirm"}""", 400, "invalid_inputs", "lock_id")]
    public async Task Finalize_BadRequests(string body, int status, string code, string message)
    {
        var res = await Api.PostAsync("balances.finalize", body);

        res.ShouldFail(status, code, message);
    }

    [Fact]
    public async Task AdvanceTestClock_PastTheResetBoundary_RefillsTheBalance()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        (await Api.TrackAsync(customer, feature, 60)).ShouldBe(200);
        var boundary = (await Api.BalanceAsync(customer, feature))!.NextResetAt!.Value;

        var res = await Api.PostAsync("customers.advance_test_clock", new AdvanceTestClockParams { CustomerId = customer, FrozenTime = boundary + 1500 });
        var after = await Api.BalanceAsync(customer, feature);
        var track = (await Api.TrackAsync(customer, feature, 1)).ShouldBe(200);
        var events = await Api.EventsAsync(customer);

        var frozen = (boundary + 1500) / 1000 * 1000;
        var r = res.ShouldBe(200).As(C.AdvanceTestClockResponse);
        Assert.Equal(customer, r.CustomerId);
        Assert.Equal("ready", r.Status);
        Assert.Equal(frozen, r.FrozenTime);
        Assert.Equal(100m, after!.Remaining);
        Assert.Equal(0m, after.Usage);
        Assert.True(after.NextResetAt > boundary);
        Assert.Equal(frozen, events[0].Timestamp);
        Assert.Equal(99m, track.Json.GetProperty("balance").Dec("remaining"));
    }

    [Fact]
    public async Task AdvanceTestClock_Errors()
    {
        var customer = await Api.CustomerAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var backwards = await Api.PostAsync("customers.advance_test_clock", new AdvanceTestClockParams { CustomerId = customer, FrozenTime = now - 60_000 });
        var unknown = await Api.PostAsync("customers.advance_test_clock", new AdvanceTestClockParams { CustomerId = "nobody_at_all", FrozenTime = now + 60_000 });
        var live = await app.For(TallyApp.LiveKey).PostAsync("customers.advance_test_clock", new AdvanceTestClockParams { CustomerId = customer, FrozenTime = now + 60_000 });

        backwards.ShouldBeInvalid("frozen_time");
        unknown.ShouldFail(404, "customer_not_found");
        live.ShouldFail(400, "invalid_request", "sandbox", env: "live");
    }
}
