using System.Text.Json;

namespace Tally.Client.Tests;

/// <summary>billing_controls sent and read back through the C# client, and enforced on track and check.</summary>
public sealed class BillingControlsClientTests(TallyServer server) : IClassFixture<TallyServer>
{
    private readonly TallyClient _client = server.NewClient();

    [Fact]
    public async Task UsageLimit_SentByUpdate_ReadBack_AndEnforced()
    {
        var feature = Id("feat");
        await _client.Features.CreateAsync(new CreateFeatureParams { FeatureId = feature, Name = "Messages", Type = "metered", Consumable = true });
        var plan = Id("plan");
        await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = plan,
            Name = "Plan",
            Items = [new PlanItem { FeatureId = feature, Included = 100, Reset = new PlanItemReset { Interval = "month" } }],
        });
        var customer = Id("cus");
        await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = customer });
        await _client.Billing.AttachAsync(new AttachParams { CustomerId = customer, PlanId = plan });
        using var controls = JsonDocument.Parse(
            $$"""{"usage_limits":[{"feature_id":"{{feature}}","limit":4,"interval":"week","anchor":"utc"}]}""");

        var updated = await _client.Customers.UpdateAsync(new UpdateCustomerParams { CustomerId = customer, BillingControls = controls.RootElement.Clone() });
        await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 4 });
        var check = await _client.Balances.CheckAsync(new CheckParams { CustomerId = customer, FeatureId = feature });
        var refused = await Assert.ThrowsAsync<TallyApiException>(() =>
            _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 1 }));

        Assert.Equal(4, updated.BillingControls["usage_limits"][0].GetProperty("limit").GetInt32());
        Assert.False(check.Allowed);
        Assert.Equal((400, "usage_limit_exceeded"), (refused.StatusCode, refused.Code));
    }

    [Fact]
    public async Task InvalidControls_400InvalidInputs()
    {
        var customer = Id("cus");
        await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = customer });
        using var controls = JsonDocument.Parse("""{"usage_alerts":[{"feature_id":"f","threshold":5}]}""");

        var error = await Assert.ThrowsAsync<TallyApiException>(() =>
            _client.Customers.UpdateAsync(new UpdateCustomerParams { CustomerId = customer, BillingControls = controls.RootElement.Clone() }));

        Assert.Equal((400, "invalid_inputs"), (error.StatusCode, error.Code));
        Assert.Contains("usage_alerts[0].threshold_type", error.Message, StringComparison.Ordinal);
    }

    private static string Id(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
