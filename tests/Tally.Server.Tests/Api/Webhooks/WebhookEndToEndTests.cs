using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Tests.Api.Webhooks;

/// <summary>
/// Webhooks end to end: events raised by real requests (attach, track, a test-clock reset, cancel) reach a real
/// receiver on loopback, signed, as often as Autumn sends them. Each test has a server of its own, because every
/// endpoint of a tenant gets every event and the counts must be exact.
/// </summary>
public sealed class WebhookEndToEndTests : IAsyncLifetime
{
    private const string Feature = "messages";
    private const string Plan = "pro";

    private TallyApp _app = null!;
    private WebhookReceiver _receiver = null!;
    private readonly Dictionary<string, string> _secrets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private int _barriers;

    private TallyApi Api => _app.Api;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _app = await TallyApp.StartAsync(new Dictionary<string, string>
        {
            ["TALLY_WEBHOOK_RETRY_SCHEDULE"] = "100ms,100ms,100ms,100ms",
            ["TALLY_WEBHOOK_POLL_INTERVAL"] = "50ms",
            ["TALLY_WEBHOOK_TIMEOUT"] = "10s",
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task AlertsLimitsAndPlanChanges_ArriveSigned_OncePerCrossingAndPeriod_AgainAfterATestClockReset()
    {
        await EndpointAsync("alerts", "balances.usage_alert_triggered");
        await EndpointAsync("limits", "balances.limit_reached");
        await EndpointAsync("billing", "billing.updated");
        await EndpointAsync("all");
        await CatalogAsync();
        var customer = Id.New("cus");
        (await Api.PostAsync("customers.get_or_create", $$$"""
            {"customer_id":"{{{customer}}}","billing_controls":{"usage_alerts":[
              {"feature_id":"{{{Feature}}}","threshold":80,"threshold_type":"usage_percentage","name":"eighty"}]}}
            """)).ShouldBe(200);
        (await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"{{Plan}}"}""")).ShouldBe(200);

        // Period 1: 50 (50 %), 30 (80 %: the alert), 5 (85 %: nothing), 15 (0 left: included), 5 more (nothing).
        foreach (var value in new[] { 50, 30, 5, 15, 5 })
        {
            (await Api.TrackAsync(customer, Feature, value)).ShouldBe(200);
        }
        var first = await BarrierAsync();

        var alert = Assert.Single(first["alerts"]);
        AssertData(alert, "balances.usage_alert_triggered", customer, d =>
        {
            Assert.Equal(Feature, d.GetProperty("feature_id").GetString());
            Assert.Equal(80m, d.GetProperty("usage_alert").GetProperty("threshold").GetDecimal());
            Assert.Equal("usage_percentage", d.GetProperty("usage_alert").GetProperty("threshold_type").GetString());
            Assert.Equal("eighty", d.GetProperty("usage_alert").GetProperty("name").GetString());
        });
        var limit = Assert.Single(first["limits"]);
        AssertData(limit, "balances.limit_reached", customer, d => Assert.Equal("included", d.GetProperty("limit_type").GetString()));
        var attached = Assert.Single(first["billing"], r => CustomerOf(r) == customer);
        AssertData(attached, "billing.updated", customer, d => Assert.Equal(["activated:pro"], PlanChanges(d)));

        // Period 2, after the test clock passes the monthly reset: the same crossings fire once more each.
        var frozen = DateTimeOffset.UtcNow.AddDays(32).ToUnixTimeMilliseconds();
        var moved = await Api.PostAsync("customers.advance_test_clock", $$"""{"customer_id":"{{customer}}","frozen_time":{{frozen}}}""");
        Assert.Equal("ready", moved.ShouldBe(200).Json.GetProperty("status").GetString());
        Assert.Equal(0m, (await Api.BalanceAsync(customer, Feature))!.Usage);
        foreach (var value in new[] { 79, 1, 10, 10, 3 })
        {
            (await Api.TrackAsync(customer, Feature, value)).ShouldBe(200);
        }
        (await Api.PostAsync("billing.update", $$"""{"customer_id":"{{customer}}","plan_id":"{{Plan}}","cancel_action":"cancel_immediately"}"""))
            .ShouldBe(200);
        var second = await BarrierAsync();

        AssertData(Assert.Single(second["alerts"]), "balances.usage_alert_triggered", customer, _ => { });
        AssertData(Assert.Single(second["limits"]), "balances.limit_reached", customer,
            d => Assert.Equal("included", d.GetProperty("limit_type").GetString()));
        var cancelled = Assert.Single(second["billing"], r => CustomerOf(r) == customer);
        AssertData(cancelled, "billing.updated", customer, d => Assert.Equal(["expired:pro"], PlanChanges(d)));

        // Every event went to the catch-all endpoint too, under the same webhook-id, and each id is one event.
        var mine = first.Values.Concat(second.Values).SelectMany(r => r).Where(r => CustomerOf(r) == customer).ToList();
        var byId = mine.GroupBy(r => r.Id).ToList();
        Assert.Equal(6, byId.Count);
        Assert.All(byId, g => Assert.Equal(2, g.Count()));
        Assert.All(byId, g => Assert.Single(g.Select(r => r.Body).Distinct()));
    }

    [Fact]
    public async Task TrackCrossingALimit_ReceiverFailingThreeTimes_GetsItOnTheFourthTry_WithTheSameWebhookId()
    {
        await EndpointAsync("flaky", "balances.limit_reached");
        _receiver.FailFirst("flaky", 3);
        await CatalogAsync();
        var customer = Id.New("cus");
        (await Api.PostAsync("customers.get_or_create", $$"""{"customer_id":"{{customer}}"}""")).ShouldBe(200);
        (await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"{{Plan}}"}""")).ShouldBe(200);

        (await Api.TrackAsync(customer, Feature, 100)).ShouldBe(200);

        var got = new List<Received>();
        for (var i = 0; i < 4; i++)
        {
            got.Add(await _receiver.NextAsync("flaky"));
        }
        Assert.Equal([500, 500, 500, 200], got.Select(r => r.Answered));
        Assert.Single(got.Select(r => r.Id).Distinct());
        Assert.Single(got.Select(r => r.Body).Distinct());
        Assert.All(got, r => Assert.True(WebhookReceiver.Verify(_secrets["flaky"], r)));
        AssertData(got[^1], "balances.limit_reached", customer, d => Assert.Equal("included", d.GetProperty("limit_type").GetString()));
        await NoPendingAsync();
        Assert.Equal(0, _receiver.Pending("flaky"));
    }

    private async Task EndpointAsync(string name, params string[] events)
    {
        var created = await Api.OkAsync("webhooks.create",
            new CreateWebhookParams { Url = _receiver.Url(name), Events = events.Length == 0 ? null : [.. events] }, C.Default.WebhookSecretResponse);
        _secrets[name] = created.Secret;
        _ids[name] = created.Id;
    }

    /// <summary>A consumable feature and a monthly plan granting 100 of it.</summary>
    private async Task CatalogAsync()
    {
        (await Api.PostAsync("features.create", $$"""{"feature_id":"{{Feature}}","name":"Messages","type":"metered","consumable":true}"""))
            .ShouldBe(200);
        (await Api.PostAsync("plans.create", $$$"""
            {"plan_id":"{{{Plan}}}","name":"Pro","items":[{"feature_id":"{{{Feature}}}","included":100,"reset":{"interval":"month"}}]}
            """)).ShouldBe(200);
    }

    /// <summary>
    /// Everything committed so far has been delivered: a marker event (another customer attached to the plan) is
    /// committed after it, the catch-all endpoint receives the marker (so fan-out, which goes in commit order, has
    /// addressed every earlier event), and then no delivery is pending (so every earlier one has been answered).
    /// Returns what each endpoint received since the last barrier, signatures checked, the marker left out.
    /// </summary>
    private async Task<Dictionary<string, List<Received>>> BarrierAsync()
    {
        var marker = $"marker_{++_barriers}_{Guid.NewGuid():N}";
        (await Api.PostAsync("customers.get_or_create", $$"""{"customer_id":"{{marker}}"}""")).ShouldBe(200);
        (await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{marker}}","plan_id":"{{Plan}}"}""")).ShouldBe(200);
        var got = _secrets.Keys.ToDictionary(n => n, _ => new List<Received>(), StringComparer.Ordinal);
        while (true)
        {
            var r = await _receiver.NextAsync("all");
            got["all"].Add(r);
            if (CustomerOf(r) == marker)
            {
                break;
            }
        }
        await NoPendingAsync();
        foreach (var name in _secrets.Keys)
        {
            for (var n = _receiver.Pending(name); n > 0; n--)
            {
                got[name].Add(await _receiver.NextAsync(name));
            }
            Assert.All(got[name], r => Assert.True(WebhookReceiver.Verify(_secrets[name], r), $"signature of {r.Id} at {name}"));
            Assert.All(got[name], r => Assert.Equal(200, r.Answered));
            got[name].RemoveAll(r => CustomerOf(r) == marker);
        }
        return got;
    }

    /// <summary>Waits until no delivery is pending (bounded: a minute; the recorded attempt follows the receiver's answer).</summary>
    private async Task NoPendingAsync()
    {
        for (var i = 0; i < 1200; i++)
        {
            var pending = await Api.OkAsync("webhooks.deliveries", new ListWebhookDeliveriesParams { Status = "pending" },
                C.Default.CursorListResponseWebhookDelivery);
            if (pending.List.Count == 0)
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException("deliveries still pending after a minute");
    }

    private static string? CustomerOf(Received r)
    {
        using var body = JsonDocument.Parse(r.Body);
        return body.RootElement.GetProperty("data").TryGetProperty("customer_id", out var c) ? c.GetString() : null;
    }

    private static void AssertData(Received r, string type, string customer, Action<JsonElement> data)
    {
        using var body = JsonDocument.Parse(r.Body);
        Assert.Equal(type, body.RootElement.GetProperty("type").GetString());
        var d = body.RootElement.GetProperty("data");
        Assert.Equal(customer, d.GetProperty("customer_id").GetString());
        Assert.StartsWith("msg_", r.Id, StringComparison.Ordinal);
        data(d);
    }

    private static string[] PlanChanges(JsonElement data) =>
        [.. data.GetProperty("plan_changes").EnumerateArray()
            .Select(c => c.GetProperty("action").GetString() + ":" + c.GetProperty("subscription").GetProperty("plan_id").GetString())];
}
