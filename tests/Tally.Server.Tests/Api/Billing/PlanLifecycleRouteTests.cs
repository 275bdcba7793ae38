using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Hosting;

namespace Tally.Server.Tests.Api.Billing;

/// <summary>
/// Plan changes over HTTP with a clock the test moves: billing.update cancels and uncancels, a plan cancelled at the
/// end of its cycle ends then (lazily, by the sweeper, or by a test clock) and the group's default takes over;
/// attach's starts_at and free_trial; customers.get's plan status fields.
/// </summary>
public sealed class PlanLifecycleRouteTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 31, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(T0);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-plans-" + Guid.NewGuid().ToString("N"));
    private Factory _factory = null!;
    private TallyApi _api = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _factory = new Factory(Path.Combine(_dir, "tally.db"), _time);
        _api = new TallyApi(_factory.CreateClient(), TallyApp.SandboxKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    private Task<ApiResult> Post(string route, object body) => _api.PostAsync(route, JsonSerializer.SerializeToNode(body)!);

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    /// <summary>A paid monthly "pro" (100 messages) and a free default "free" (5 messages) in one group; a customer on pro.</summary>
    private async Task<string> OnProAsync(bool attach = true)
    {
        (await Post("features.create", new { feature_id = "messages", name = "Messages", type = "metered", consumable = true })).ShouldBe(200);
        (await Post("plans.create", JsonDocument.Parse("""
            {"plan_id":"free","name":"Free","group":"main","auto_enable":true,
             "items":[{"feature_id":"messages","included":5,"reset":{"interval":"month"}}]}
            """).RootElement)).ShouldBe(200);
        (await Post("plans.create", JsonDocument.Parse("""
            {"plan_id":"pro","name":"Pro","group":"main","price":{"amount":20,"interval":"month"},
             "items":[{"feature_id":"messages","included":100,"reset":{"interval":"month"}}]}
            """).RootElement)).ShouldBe(200);
        var customer = Id.New("cus");
        (await Post("customers.get_or_create", new { customer_id = customer })).ShouldBe(200);
        if (attach)
        {
            (await Post("billing.attach", new { customer_id = customer, plan_id = "pro" })).ShouldBe(200);
        }
        return customer;
    }

    private async Task<JsonElement> CustomerAsync(string customer) =>
        (await Post("customers.get", new { customer_id = customer })).ShouldBe(200).Json;

    private static JsonElement Sub(JsonElement customer, string planId) =>
        customer.GetProperty("subscriptions").EnumerateArray().Single(s => s.Str("plan_id") == planId);

    private static string[] PlanIds(JsonElement customer) =>
        [.. customer.GetProperty("subscriptions").EnumerateArray().Select(s => s.Str("plan_id") + ":" + s.Str("status")).Order()];

    [Fact]
    public async Task Cancel_end_of_cycle_shows_on_the_customer_and_the_sweeper_ends_it_for_the_default()
    {
        var customer = await OnProAsync();
        (await Post("balances.track", new { customer_id = customer, feature_id = "messages", value = 30 })).ShouldBe(200);

        (await Post("billing.update", new { customer_id = customer, plan_id = "pro", cancel_action = "cancel_end_of_cycle", proration_behavior = "none" }))
            .ShouldBe(200);

        var c = await CustomerAsync(customer);
        var pro = Sub(c, "pro");
        Assert.Equal(Ms(T0), pro.GetProperty("canceled_at").GetInt64());
        Assert.Equal(Ms(T0.AddMonths(1)), pro.GetProperty("expires_at").GetInt64());
        Assert.Equal(Ms(T0), pro.GetProperty("current_period_start").GetInt64());
        Assert.Equal(Ms(T0.AddMonths(1)), pro.GetProperty("current_period_end").GetInt64());
        Assert.Equal(["free:scheduled", "pro:active"], PlanIds(c));
        Assert.Equal(70m, c.GetProperty("balances").GetProperty("messages").Dec("remaining"));

        _time.Now = T0.AddMonths(1).AddMinutes(1);
        var sweeper = _factory.Services.GetRequiredService<ResetSweeper>();
        Assert.Equal(1, await sweeper.SweepOnceAsync(CancellationToken.None));
        Assert.Equal(0, await sweeper.SweepOnceAsync(CancellationToken.None));

        c = await CustomerAsync(customer);
        Assert.Equal(["free:active"], PlanIds(c));
        Assert.Equal(Ms(T0.AddMonths(1)), Sub(c, "free").GetProperty("started_at").GetInt64());
        Assert.Equal(5m, c.GetProperty("balances").GetProperty("messages").Dec("remaining"));
    }

    [Fact]
    public async Task Uncancel_keeps_the_plan_past_the_cycle_end()
    {
        var customer = await OnProAsync();
        (await Post("billing.update", new { customer_id = customer, plan_id = "pro", cancel_action = "cancel_end_of_cycle" })).ShouldBe(200);

        (await Post("billing.update", new { customer_id = customer, plan_id = "pro", cancel_action = "uncancel" })).ShouldBe(200);
        _time.Now = T0.AddMonths(2);

        var c = await CustomerAsync(customer);
        Assert.Equal(["pro:active"], PlanIds(c));
        var pro = Sub(c, "pro");
        Assert.Equal(JsonValueKind.Null, pro.GetProperty("canceled_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, pro.GetProperty("expires_at").ValueKind);
        Assert.Equal(Ms(T0.AddMonths(2)), pro.GetProperty("current_period_start").GetInt64());
        Assert.Equal(100m, c.GetProperty("balances").GetProperty("messages").Dec("remaining"));
    }

    [Fact]
    public async Task Cancel_immediately_gives_the_default_now_and_a_bad_action_is_400()
    {
        var customer = await OnProAsync();

        (await Post("billing.update", new { customer_id = customer, plan_id = "pro", cancel_action = "sometime" })).ShouldBeInvalid("cancel_action");
        (await Post("billing.update", new { customer_id = customer, plan_id = "free", cancel_action = "cancel_immediately" }))
            .ShouldFail(404, "customer_product_not_found");
        (await Post("billing.update", new { customer_id = customer, plan_id = "pro", cancel_action = "cancel_immediately" })).ShouldBe(200);

        var c = await CustomerAsync(customer);
        Assert.Equal(["free:active"], PlanIds(c));
        Assert.Equal(5m, c.GetProperty("balances").GetProperty("messages").Dec("remaining"));
        (await Post("billing.update", new { customer_id = customer, plan_id = "free", cancel_action = "cancel_end_of_cycle" }))
            .ShouldFail(400, "invalid_request", "cancel_immediately");
    }

    [Fact]
    public async Task A_test_clock_past_the_cycle_end_ends_the_cancelled_plan()
    {
        var customer = await OnProAsync();
        (await Post("billing.update", new { customer_id = customer, cancel_action = "cancel_end_of_cycle", plan_id = "pro" })).ShouldBe(200);

        (await Post("customers.advance_test_clock", new { customer_id = customer, frozen_time = Ms(T0.AddMonths(1).AddDays(1)) })).ShouldBe(200);

        Assert.Equal(["free:active"], PlanIds(await CustomerAsync(customer)));
    }

    [Theory]
    [InlineData("billing.attach", "customize")]
    [InlineData("billing.attach", "carry_over_balances")]
    [InlineData("billing.attach", "carry_over_usages")]
    [InlineData("billing.update", "customize")]
    public async Task Attach_or_update_with_a_field_not_applied_is_refused_naming_it(string route, string field)
    {
        var customer = await OnProAsync(attach: route == "billing.update");
        var before = await CustomerAsync(customer);
        var body = JsonSerializer.SerializeToNode(new { customer_id = customer, plan_id = "pro" })!.AsObject();
        body[field] = new System.Text.Json.Nodes.JsonObject { ["enabled"] = true };

        (await _api.PostAsync(route, body)).ShouldBeInvalid(field);

        Assert.Equal(before.GetRawText(), (await CustomerAsync(customer)).GetRawText());
    }

    [Fact]
    public async Task Attach_starts_at_schedules_the_plan_until_then()
    {
        var customer = await OnProAsync(attach: false);
        var start = T0.AddDays(10);

        (await Post("billing.attach", new { customer_id = customer, plan_id = "pro", starts_at = Ms(start), success_url = "https://x.test", invoice_mode = new { enabled = true } }))
            .ShouldBe(200);

        var c = await CustomerAsync(customer);
        Assert.Equal(Ms(start), Sub(c, "pro").GetProperty("started_at").GetInt64());
        Assert.Contains("pro:scheduled", PlanIds(c));
        _time.Now = start.AddSeconds(1);
        c = await CustomerAsync(customer);
        Assert.Equal(["pro:active"], PlanIds(c));
        Assert.Equal(100m, c.GetProperty("balances").GetProperty("messages").Dec("remaining"));
    }

    [Fact]
    public async Task A_trial_without_a_card_ends_with_the_trial_and_one_with_a_card_continues()
    {
        var customer = await OnProAsync(attach: false);
        var other = Id.New("cus");
        (await Post("customers.get_or_create", new { customer_id = other })).ShouldBe(200);

        (await Post("billing.attach", new { customer_id = customer, plan_id = "pro", free_trial = new { duration_length = 7, duration_type = "day", card_required = false } }))
            .ShouldBe(200);
        (await Post("billing.attach", new { customer_id = other, plan_id = "pro", free_trial = new { duration_length = 7, duration_type = "day" } }))
            .ShouldBe(200);
        (await Post("billing.attach", new { customer_id = other, plan_id = "free", free_trial = new { duration_length = 0 } })).ShouldBeInvalid("free_trial");

        var pro = Sub(await CustomerAsync(customer), "pro");
        Assert.Equal(Ms(T0.AddDays(7)), pro.GetProperty("trial_ends_at").GetInt64());
        Assert.Equal(Ms(T0.AddDays(7)), pro.GetProperty("expires_at").GetInt64());
        Assert.Equal(Ms(T0.AddDays(7)), pro.GetProperty("current_period_end").GetInt64());
        Assert.Equal(JsonValueKind.Null, Sub(await CustomerAsync(other), "pro").GetProperty("expires_at").ValueKind);

        _time.Now = T0.AddDays(8);
        Assert.DoesNotContain("pro:active", PlanIds(await CustomerAsync(customer)));
        Assert.Equal(["pro:active"], PlanIds(await CustomerAsync(other)));
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Factory(string database, TimeProvider time) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", $"{TallyApp.SandboxKey},{TallyApp.LiveKey}");
            builder.UseSetting("TALLY_SWEEP_INTERVAL", "1d");
            builder.ConfigureTestServices(s => s.AddSingleton(time));
        }
    }
}
