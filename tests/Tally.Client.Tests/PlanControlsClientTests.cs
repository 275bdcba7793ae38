using System.Text.Json;

namespace Tally.Client.Tests;

/// <summary>Plan-level default billing_controls through the C# client: sent with the plan, read back, enforced on its holders.</summary>
public sealed class PlanControlsClientTests(TallyServer server) : IClassFixture<TallyServer>
{
    private readonly TallyClient _client = server.NewClient();

    [Fact]
    public async Task PlanUsageLimit_SentWithThePlan_ReadBack_AndCapsItsCustomers()
    {
        var feature = Id("feat");
        await _client.Features.CreateAsync(new CreateFeatureParams { FeatureId = feature, Name = "Messages", Type = "metered", Consumable = true });
        using var controls = JsonDocument.Parse(
            $$"""{"usage_limits":[{"feature_id":"{{feature}}","limit":4,"interval":"week","anchor":"utc"}]}""");
        var plan = Id("plan");
        var created = await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = plan,
            Name = "Plan",
            Items = [new PlanItem { FeatureId = feature, Included = 100, Reset = new PlanItemReset { Interval = "month" } }],
            BillingControls = controls.RootElement.Clone(),
        });
        var customer = Id("cus");
        await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = customer });
        await _client.Billing.AttachAsync(new AttachParams { CustomerId = customer, PlanId = plan });

        await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 4 });
        var check = await _client.Balances.CheckAsync(new CheckParams { CustomerId = customer, FeatureId = feature });
        var refused = await Assert.ThrowsAsync<TallyApiException>(() =>
            _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 1 }));
        var got = await _client.Plans.GetAsync(new GetPlanParams { PlanId = plan });

        Assert.Equal(4, created.BillingControls!["usage_limits"][0].GetProperty("limit").GetInt32());
        Assert.Equal(4, got.BillingControls!["usage_limits"][0].GetProperty("limit").GetInt32());
        Assert.False(check.Allowed);
        Assert.Equal((400, "usage_limit_exceeded"), (refused.StatusCode, refused.Code));
    }

    private static string Id(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
