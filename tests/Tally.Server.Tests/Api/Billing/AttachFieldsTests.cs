namespace Tally.Server.Tests.Api.Billing;

/// <summary>
/// No silent drops on billing.attach: each field of Autumn's schema works, is a 400 naming it, or (payment-provider
/// fields only) is accepted and ignored.
/// </summary>
public sealed class AttachFieldsTests(TallyApp app) : IClassFixture<TallyApp>
{
    private TallyApi Api => app.Api;

    [Theory]
    [InlineData("\"plan_schedule\":\"end_of_cycle\"", "plan_schedule")]
    [InlineData("\"remove_plan_ids\":[\"other\"]", "remove_plan_ids")]
    [InlineData("\"ends_at\":1000", "ends_at")]
    [InlineData("\"starts_at\":4102444800000,\"ends_at\":4102444800000", "ends_at")]
    public async Task Attach_FieldTallyDoesNotApply_IsA400NamingIt_AndChangesNothing(string field, string name)
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();
        var before = (await Api.GetCustomerRawAsync(customer)).Text;

        (await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"{{plan}}",{{field}}}""")).ShouldBeInvalid(name);

        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Text);
    }

    [Fact]
    public async Task Attach_PaymentProviderFields_AreAcceptedAndIgnored()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();

        (await Api.PostAsync("billing.attach", $$"""
            {"customer_id":"{{customer}}","plan_id":"{{plan}}","plan_schedule":"immediate","remove_plan_ids":[],
             "success_url":"https://x.test","invoice_mode":{"enabled":true},"discounts":[{"reward_id":"r"}],"redirect_mode":"always",
             "proration_behavior":"none","subscription_id":"s","billing_cycle_anchor":"now","checkout_session_params":{"a":1},
             "long_lived_checkout":true,"custom_line_items":[{"amount":1}],"processor_subscription_id":"sub_1","tax_rate_id":"txr_1",
             "currency":"eur","new_billing_subscription":true,"enable_plan_immediately":true,"no_billing_changes":true,
             "metadata":{"k":"v"},"license_quantities":[{"license_plan_id":"x","quantity":1}],
             "feature_quantities":[]}
            """)).ShouldBe(200);

        Assert.Equal(10m, (await Api.BalanceAsync(customer, msg))!.Granted);
    }

    [Fact]
    public async Task Attach_EndsAt_EndsThePlanThen()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 10));
        var customer = await Api.CustomerAsync();
        var ends = DateTimeOffset.UtcNow.AddDays(20).ToUnixTimeMilliseconds();

        (await Api.PostAsync("billing.attach", $$"""{"customer_id":"{{customer}}","plan_id":"{{plan}}","ends_at":{{ends}}}""")).ShouldBe(200);

        Assert.Equal(ends, Assert.Single((await Api.GetCustomerAsync(customer)).Subscriptions).ExpiresAt);
    }
}
