using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Hosting;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>
/// Time over HTTP, with no sleeps: an injected clock the test moves, and per-customer test clocks. Resets happen
/// lazily in the unit of work of the request that crosses the boundary (exactly once under concurrency) and through
/// the sweeper for idle customers (idempotent); locks reserve and settle; expired locks release once.
/// </summary>
public sealed class TimeRouteTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 31, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(T0);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-time-" + Guid.NewGuid().ToString("N"));
    private TimeFactory _factory = null!;
    private TallyApi _api = null!;

    private string Db => Path.Combine(_dir, "tally.db");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _factory = new TimeFactory(Db, _time);
        _api = new TallyApi(_factory.CreateClient(), TallyApp.SandboxKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    private async Task<string> MonthlyCustomerAsync(decimal included, string? rollover = null)
    {
        await Post("features.create", new { feature_id = "messages", name = "Messages", type = "metered", consumable = true });
        var plan = Id.New("plan");
        var item = rollover is null
            ? $$$"""{"feature_id":"messages","included":{{{included}}},"reset":{"interval":"month"}}"""
            : $$$"""{"feature_id":"messages","included":{{{included}}},"reset":{"interval":"month"},"rollover":{{{rollover}}}}""";
        (await Post("plans.create", System.Text.Json.JsonDocument.Parse(
            $$"""{"plan_id":"{{plan}}","name":"P","items":[{{item}}]}""").RootElement)).ShouldBe(200);
        var customer = Id.New("cus");
        (await Post("customers.get_or_create", new { customer_id = customer })).ShouldBe(200);
        (await Post("billing.attach", new { customer_id = customer, plan_id = plan })).ShouldBe(200);
        return customer;
    }

    private async Task<System.Text.Json.JsonElement> MessagesAsync(string customer)
    {
        var r = (await Post("customers.get", new { customer_id = customer })).ShouldBe(200);
        return r.Json.GetProperty("balances").GetProperty("messages");
    }

    // Anonymous bodies go through the reflection serializer; the fixture's own serializer knows only wire DTOs.
    private Task<ApiResult> Post(string route, object body, TallyApi? api = null) =>
        (api ?? _api).PostAsync(route, System.Text.Json.JsonSerializer.SerializeToNode(body)!);

    private long CountLedger(string kind)
    {
        using var c = new SqliteConnection($"Data Source={Db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM events WHERE kind = $k";
        cmd.Parameters.AddWithValue("$k", kind);
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task MonthlyReset_AnchoredOnThe31st_LandsOnTheLastDayOfFebruaryThenMarch31()
    {
        var customer = await MonthlyCustomerAsync(100);
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 30 })).ShouldBe(200);
        var before = await MessagesAsync(customer);
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), before.GetProperty("next_reset_at").GetInt64());

        _time.Now = new DateTimeOffset(2026, 2, 28, 12, 0, 1, TimeSpan.Zero);
        var after = await MessagesAsync(customer);

        Assert.Equal(100m, after.Dec("remaining"));
        Assert.Equal(0m, after.Dec("usage"));
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), after.GetProperty("next_reset_at").GetInt64());
    }

    [Fact]
    public async Task Track_TwentyInParallelAcrossABoundary_ResetsExactlyOnce()
    {
        var customer = await MonthlyCustomerAsync(100);
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 30 })).ShouldBe(200);
        _time.Now = T0.AddMonths(1).AddSeconds(1);

        var tracks = Enumerable.Range(0, 20).Select(_ =>
            Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 1 }));
        foreach (var r in await Task.WhenAll(tracks))
        {
            r.ShouldBe(200);
        }

        var balance = await MessagesAsync(customer);
        Assert.Equal(80m, balance.Dec("remaining"));
        Assert.Equal(20m, balance.Dec("usage"));
        Assert.Equal(1, CountLedger("Reset"));
    }

    [Fact]
    public async Task Sweeper_IdleCustomerRunTwice_ResetsOnce()
    {
        var customer = await MonthlyCustomerAsync(100);
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 40 })).ShouldBe(200);
        _time.Now = T0.AddMonths(5).AddDays(1);
        var sweeper = _factory.Services.GetRequiredService<ResetSweeper>();

        Assert.Equal(1, await sweeper.SweepOnceAsync(CancellationToken.None));
        Assert.Equal(0, await sweeper.SweepOnceAsync(CancellationToken.None));

        Assert.Equal(1, CountLedger("Reset"));
        var balance = await MessagesAsync(customer);
        Assert.Equal(100m, balance.Dec("remaining"));
        // Five idle months catch up with one refill; the anchor (the 31st) is kept: 31 Jan + 6 months = 31 Jul.
        Assert.Equal(new DateTimeOffset(2026, 7, 31, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), balance.GetProperty("next_reset_at").GetInt64());
        Assert.Equal(1, CountLedger("Reset"));
    }

    [Fact]
    public async Task Rollover_UnusedBalance_CarriesUpToItsMaxAndIsDrawnFirst()
    {
        var customer = await MonthlyCustomerAsync(100, """{"max":50,"expiry_duration_type":"month","expiry_duration_length":1}""");
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 30 })).ShouldBe(200);
        _time.Now = T0.AddMonths(1).AddSeconds(1);

        var balance = await MessagesAsync(customer);
        Assert.Equal(150m, balance.Dec("granted"));
        Assert.Equal(150m, balance.Dec("remaining"));
        var track = (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 10 })).ShouldBe(200);
        var rollovers = track.Json.GetProperty("balance").GetProperty("rollovers");
        Assert.Equal(40m, rollovers[0].Dec("balance"));
        Assert.Equal(140m, track.Json.GetProperty("balance").Dec("remaining"));
    }

    [Fact]
    public async Task AdvanceTestClock_OneCustomer_MovesItForwardAndResetsItsBalances()
    {
        var customer = await MonthlyCustomerAsync(100);
        var other = Id.New("cus");
        (await Post("customers.get_or_create", new { customer_id = other })).ShouldBe(200);
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 30 })).ShouldBe(200);
        var target = T0.AddMonths(1).AddDays(2).AddMilliseconds(789);

        var moved = (await Post("customers.advance_test_clock",
            new { customer_id = customer, frozen_time = target.ToUnixTimeMilliseconds() })).ShouldBe(200);

        Assert.Equal("ready", moved.Json.Str("status"));
        Assert.Equal(target.ToUnixTimeMilliseconds() / 1000 * 1000, moved.Json.GetProperty("frozen_time").GetInt64());
        Assert.Equal(100m, (await MessagesAsync(customer)).Dec("remaining"));
        // Default event timestamps use the customer's clock.
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 1 })).ShouldBe(200);
        var list = (await Post("events.list", new { customer_id = customer, limit = 1 })).ShouldBe(200);
        Assert.Equal(target.ToUnixTimeMilliseconds() / 1000 * 1000, list.Json.GetProperty("list")[0].GetProperty("timestamp").GetInt64());

        (await Post("customers.advance_test_clock", new { customer_id = customer, frozen_time = T0.ToUnixTimeMilliseconds() }))
            .ShouldBeInvalid("frozen_time");
        (await Post("customers.advance_test_clock",
            new { customer_id = customer, frozen_time = target.AddDays(1).ToUnixTimeMilliseconds() }, _api.WithKey(TallyApp.LiveKey))).ShouldFail(400, "invalid_request", env: "live");
        (await Post("customers.advance_test_clock", new { customer_id = "nobody", frozen_time = target.ToUnixTimeMilliseconds() }))
            .ShouldFail(404, "customer_not_found");
    }

    [Fact]
    public async Task Track_Timestamp_FutureIsRejectedAndPastIsRecorded()
    {
        var customer = await MonthlyCustomerAsync(100);
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", timestamp = T0.AddMinutes(1).ToUnixTimeMilliseconds() }))
            .ShouldBeInvalid("timestamp");
        var past = T0.AddHours(-3).ToUnixTimeMilliseconds();
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", timestamp = past })).ShouldBe(200);
        var list = (await Post("events.list", new { customer_id = customer })).ShouldBe(200);
        Assert.Equal(past, list.Json.GetProperty("list")[0].GetProperty("timestamp").GetInt64());
        Assert.Equal(99m, (await MessagesAsync(customer)).Dec("remaining"));
    }

    [Fact]
    public async Task Lock_ReserveThenSettle_UsesTheSameSources()
    {
        var customer = await MonthlyCustomerAsync(15);
        async Task<decimal> Remaining() => (await MessagesAsync(customer)).Dec("remaining");

        var check = (await Post("balances.check", new
        {
            customer_id = customer,
            feature_id = "messages",
            required_balance = 8,
            @lock = new { lock_id = "l1", enabled = true },
        })).ShouldBe(200);
        Assert.True(check.Json.GetProperty("allowed").GetBoolean());
        Assert.Equal(7m, await Remaining());
        (await Post("balances.check", new
        {
            customer_id = customer,
            feature_id = "messages",
            required_balance = 1,
            @lock = new { lock_id = "l1", enabled = true },
        })).ShouldFail(409, "lock_already_exists");
        (await Post("balances.finalize", new { lock_id = "l1", action = "release", override_value = 3 })).ShouldBeInvalid("override_value");
        (await Post("balances.finalize", new { lock_id = "l1", action = "confirm", override_value = 5 })).ShouldBe(200);
        Assert.Equal(10m, await Remaining());
        (await Post("balances.finalize", new { lock_id = "l1", action = "release" })).ShouldFail(409, "lock_already_finalized");
        (await Post("balances.finalize", new { lock_id = "nope", action = "confirm" })).ShouldFail(400, "invalid_request", "nope");

        // Track with a lock, then a larger override deducts the difference.
        (await Post("balances.track", new
        {
            customer_id = customer,
            feature_id = "messages",
            value = 4,
            @lock = new { lock_id = "l2", enabled = true },
        })).ShouldBe(200);
        Assert.Equal(6m, await Remaining());
        (await Post("balances.finalize", new { lock_id = "l2", action = "confirm", override_value = 6 })).ShouldBe(200);
        Assert.Equal(4m, await Remaining());

        // An expired lock is released exactly once, by the next request that loads the customer.
        (await Post("balances.check", new
        {
            customer_id = customer,
            feature_id = "messages",
            required_balance = 3,
            @lock = new { lock_id = "l3", enabled = true, expires_at = T0.AddMinutes(10).ToUnixTimeMilliseconds() },
        })).ShouldBe(200);
        Assert.Equal(1m, await Remaining());
        _time.Now = T0.AddMinutes(11);
        Assert.Equal(4m, await Remaining());
        Assert.Equal(4m, await Remaining());
        (await Post("balances.finalize", new { lock_id = "l3", action = "confirm" })).ShouldFail(409, "lock_already_finalized");
        Assert.Equal(4m, await Remaining());
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class TimeFactory(string database, TimeProvider time) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", $"{TallyApp.SandboxKey},{TallyApp.LiveKey}");
            // The background sweeper must not race the test's own sweeps.
            builder.UseSetting("TALLY_SWEEP_INTERVAL", "1d");
            builder.ConfigureTestServices(s => s.AddSingleton(time));
        }
    }
}
