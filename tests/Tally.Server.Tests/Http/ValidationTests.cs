using Tally.Contracts;

namespace Tally.Server.Tests.Http;

/// <summary>
/// Bad input is a 400 that names the field and changes nothing (README "What Tally guarantees"): for every bad
/// request the customer's customers.get body is byte-for-byte the same afterwards, and no event was recorded.
/// Placeholders in bodies: {C} the customer, {F} its metered feature, {P} its plan, {S} a seat feature.
/// </summary>
public sealed class ValidationTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    public static TheoryData<string, string, string> BadRequests => new()
    {
        // Malformed JSON.
        { "balances.track", """{"customer_id":"{C}","feature_id":""", "not valid JSON" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":1} trailing""", "not valid JSON" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}",}""", "not valid JSON" },
        { "balances.check", """{customer_id:"{C}"}""", "not valid JSON" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","remaining":1""", "not valid JSON" },
        // A body that is not an object.
        { "balances.track", """[{"customer_id":"{C}","feature_id":"{F}"}]""", "body" },
        { "balances.track", "null", "null" },
        { "balances.track", "\"{C}\"", "body" },
        // Wrong types.
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":"x"}""", "value" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":true}""", "value" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":[5]}""", "value" },
        { "balances.track", """{"customer_id":5,"feature_id":"{F}"}""", "customer_id" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","timestamp":"yesterday"}""", "timestamp" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","timestamp":1.5}""", "timestamp" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","timestamp":-5}""", "timestamp" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","properties":"x"}""", "properties" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","idempotency_key":7}""", "idempotency_key" },
        { "balances.check", """{"customer_id":"{C}","feature_id":"{F}","required_balance":"x"}""", "required_balance" },
        { "balances.check", """{"customer_id":"{C}","feature_id":"{F}","send_event":"yes"}""", "send_event" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","remaining":"x"}""", "remaining" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","add_to_balance":{}}""", "add_to_balance" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":"x"}""", "included_grant" },
        { "customers.update", """{"customer_id":"{C}","name":5}""", "name" },
        { "customers.update", """{"customer_id":"{C}","metadata":[1]}""", "metadata" },
        { "customers.get_or_create", """{"customer_id":"{C}","name":5}""", "name" },
        { "billing.attach", """{"customer_id":"{C}","plan_id":"{P}","feature_quantities":"x"}""", "feature_quantities" },
        { "balances.batch_track", """[{"customer_id":"{C}","feature_id":"{F}","value":"x"}]""", "[0].value" },
        // Missing required fields.
        { "balances.track", """{"feature_id":"{F}","value":1}""", "customer_id" },
        { "balances.track", """{"customer_id":"","feature_id":"{F}","value":1}""", "customer_id" },
        { "balances.check", """{"customer_id":"{C}"}""", "feature_id" },
        { "balances.check", """{"feature_id":"{F}"}""", "customer_id" },
        { "balances.update", """{"feature_id":"{F}","remaining":1}""", "customer_id" },
        { "balances.update", """{"customer_id":"{C}","remaining":1}""", "feature_id" },
        { "balances.create", """{"feature_id":"{F}","included_grant":1}""", "customer_id" },
        { "billing.attach", """{"customer_id":"{C}"}""", "plan_id" },
        { "entities.create", """{"customer_id":"{C}","entity_id":"e1"}""", "feature_id" },
        { "customers.update", """{"name":"x"}""", "customer_id" },
        { "balances.batch_track", """[{"feature_id":"{F}"}]""", "customer_id" },
        // Unknown enum values.
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","overage_behavior":"sometimes"}""", "overage_behavior" },
        { "balances.batch_track", """[{"customer_id":"{C}","feature_id":"{F}","overage_behavior":"Cap"}]""", "[0].overage_behavior" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":5,"reset":{"interval":"fortnight"}}""", "reset.interval" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","remaining":1,"interval":"fortnight"}""", "interval" },
        { "balances.delete", """{"customer_id":"{C}","feature_id":"{F}","interval":"fortnight"}""", "interval" },
        { "features.create", """{"feature_id":"f_{C}","name":"x","type":"gauge"}""", "type" },
        { "plans.create", """{"plan_id":"p_{C}","name":"x","items":[{"feature_id":"{F}","included":1,"reset":{"interval":"fortnight"}}]}""", "items[0].reset.interval" },
        // Exactly one of feature_id / event_name.
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","event_name":"{F}"}""", "feature_id, event_name" },
        { "balances.track", """{"customer_id":"{C}","value":1}""", "feature_id, event_name" },
        { "track", """{"customer_id":"{C}","feature_id":"{F}","event_name":"{F}"}""", "feature_id, event_name" },
        // Numbers the engine cannot compute with (decimal overflow, dates past year 9999): 400, never a 500.
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":1e16}""", "value" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":-79228162514264337593543950335,"overage_behavior":"overflow"}""", "value" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","value":1e40}""", "value" },
        { "balances.track", """{"customer_id":"{C}","feature_id":"{F}","lock":{"lock_id":"l1","enabled":true,"expires_at":9000000000000000000}}""", "lock.expires_at" },
        { "balances.batch_track", """[{"customer_id":"{C}","feature_id":"{F}","value":1e16,"overage_behavior":"overflow"}]""", "[0].value" },
        { "balances.check", """{"customer_id":"{C}","feature_id":"{F}","required_balance":1e16,"send_event":true}""", "required_balance" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","usage":79228162514264337593543950335}""", "usage" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","remaining":-1e16}""", "remaining" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","add_to_balance":1e16}""", "add_to_balance" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","included_grant":1e16}""", "included_grant" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","next_reset_at":9000000000000000000}""", "next_reset_at" },
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","expires_at":9000000000000000000}""", "expires_at" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":79228162514264337593543950335}""", "included_grant" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":5,"expires_at":9000000000000000000}""", "expires_at" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":5,"reset":{"interval":"month"},"next_reset_at":9000000000000000000}""", "next_reset_at" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":5,"reset":{"interval":"year","interval_count":2000000000}}""", "reset.interval_count" },
        { "billing.attach", """{"customer_id":"{C}","plan_id":"{P}","feature_quantities":[{"feature_id":"{F}","quantity":1e16}]}""", "feature_quantities[0].quantity" },
        { "customers.advance_test_clock", """{"customer_id":"{C}","frozen_time":9000000000000000000}""", "frozen_time" },
        { "plans.create", """{"plan_id":"p_{C}","name":"x","items":[{"feature_id":"{F}","included":1,"reset":{"interval":"year","interval_count":100000}}]}""", "items[0].reset.interval_count" },
        { "plans.create", """{"plan_id":"p_{C}","name":"x","items":[{"feature_id":"{F}","included":1e16}]}""", "items[0].included" },
        { "features.create", """{"feature_id":"f_{C}","name":"x","type":"credit_system","credit_schema":[{"metered_feature_id":"{F}","credit_cost":1e20}]}""", "credit_schema[0].credit_cost" },
        { "events.list", """{"customer_id":"{C}","custom_range":{"start":9000000000000000000}}""", "custom_range.start" },
        // Rules between fields.
        { "balances.update", """{"customer_id":"{C}","feature_id":"{F}","remaining":1,"add_to_balance":1}""", "remaining, add_to_balance" },
        { "balances.create", """{"customer_id":"{C}","feature_id":"{F}","included_grant":5,"unlimited":true}""", "included_grant, unlimited" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_Is400NamingTheField_AndLeavesTheCustomerByteForByteUnchanged(string route, string template, string field)
    {
        var (customer, feature, plan) = await Api.CustomerWithBalanceAsync(100);
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        (await Api.TrackAsync(customer, feature, 3)).ShouldBe(200);
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = "e0", FeatureId = seats }, C.EntityResponse);
        var before = (await Api.GetCustomerRawAsync(customer)).ShouldBe(200).Body;
        var features = (await Api.PostAsync("features.list")).Body;
        var plans = (await Api.PostAsync("plans.list")).Body;
        var body = template.Replace("{C}", customer, StringComparison.Ordinal).Replace("{F}", feature, StringComparison.Ordinal)
            .Replace("{P}", plan, StringComparison.Ordinal).Replace("{S}", seats, StringComparison.Ordinal);

        var res = await Api.PostAsync(route, body);

        res.ShouldFail(400, "invalid_inputs", field);
        var after = (await Api.GetCustomerRawAsync(customer)).ShouldBe(200).Body;
        Assert.Equal(System.Text.Encoding.UTF8.GetString(before), System.Text.Encoding.UTF8.GetString(after));
        Assert.Single(await Api.EventsAsync(customer));
        Assert.Equal(features, (await Api.PostAsync("features.list")).Body);
        Assert.Equal(plans, (await Api.PostAsync("plans.list")).Body);
    }

    [Theory]
    [MemberData(nameof(Routes.All), MemberType = typeof(Routes))]
    public async Task BodyOver1MiB_Is413PayloadTooLarge(string route)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var before = (await Api.GetCustomerRawAsync(customer)).Body;
        var padding = new string('x', 1024 * 1024);
        var body = $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","value":1,"properties":{"pad":"{{{padding}}}"}}""";

        var res = await Api.PostAsync(route, body);

        res.ShouldFail(413, "payload_too_large");
        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Body);
    }

    [Fact]
    public async Task BodyOfExactly1MiB_IsRead()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        // Padding in many properties: one string value may be at most 4096 characters (README.md, ## Limits).
        var head = $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":1,"properties":{""";
        const string Tail = "}}";
        var pads = new System.Text.StringBuilder();
        for (var i = 0; head.Length + pads.Length + Tail.Length < 1024 * 1024; i++)
        {
            var key = $"{(i == 0 ? "" : ",")}\"p{i}\":\"";
            var room = (1024 * 1024) - head.Length - pads.Length - Tail.Length - key.Length - 1;
            pads.Append(key).Append('x', Math.Min(4096, room)).Append('"');
        }
        var body = head + pads + Tail;
        Assert.Equal(1024 * 1024, System.Text.Encoding.UTF8.GetByteCount(body));

        var res = await Api.PostAsync("balances.track", body);

        Assert.Equal(99m, res.ShouldBe(200).Json.GetProperty("balance").Dec("remaining"));
    }
}
