using System.Text;

namespace Tally.Server.Tests.Http;

/// <summary>
/// Issue #11: bytes that used to be committed and then poison every later read, headers and lists that used to be a
/// 500, and the length, depth and list bounds of README.md (## Limits). Each is a 400 naming the field and changes nothing.
/// </summary>
public sealed class HostileInputTests(TallyApp app) : IClassFixture<TallyApp>
{
    private TallyApi Api => app.Api;

    public static TheoryData<string> InvalidStrings => ["\\ud800", "a\\udc00b", "\\ud800\\u0041", "x\\u0000y", "\\ud83d"];

    [Theory]
    [MemberData(nameof(InvalidStrings))]
    public async Task Track_InvalidUnicodeInProperties_Is400NamingTheField_AndEventsStayReadable(string escaped)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var before = (await Api.GetCustomerRawAsync(customer)).Body;

        var res = await Api.PostAsync("balances.track", $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","properties":{"note":"{{{escaped}}}"}}""");

        res.ShouldBeInvalid("properties.note");
        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Body);
        (await Api.PostAsync("events.list", "{}")).ShouldBe(200);
        (await Api.PostAsync("events.list", $$"""{"customer_id":"{{customer}}"}""")).ShouldBe(200);
    }

    [Theory]
    [InlineData("customers.get_or_create", """{"customer_id":"c_@","name":"Ada"}""", "customer_id")]
    [InlineData("customers.get_or_create", """{"customer_id":"c_ok","name":"@"}""", "name")]
    [InlineData("customers.get_or_create", """{"customer_id":"c_ok","metadata":{"a":{"b":["@"]}}}""", "metadata.a.b[0]")]
    [InlineData("customers.update", """{"customer_id":"c_ok","billing_controls":{"x":"@"}}""", "billing_controls.x")]
    [InlineData("features.create", """{"feature_id":"f_ok","name":"@","type":"boolean"}""", "name")]
    [InlineData("events.list", """{"customer_id":"@"}""", "customer_id")]
    [InlineData("customers.list", """{"search":"@"}""", "search")]
    [InlineData("balances.track", """{"customer_id":"c","feature_id":"f","properties":{"@":1}}""", "properties")]
    public async Task AnyBody_InvalidUnicodeAnywhere_Is400NamingThePath(string route, string template, string path)
    {
        foreach (var bad in new[] { Encoding.UTF8.GetBytes("\\ud800"), [0xFF], [0xC3], [0xED, 0xA0, 0x80] })
        {
            var parts = template.Split('@');
            byte[] body = [.. Encoding.UTF8.GetBytes(parts[0]), .. bad, .. Encoding.UTF8.GetBytes(parts[1])];

            (await Api.PostAsync(route, body)).ShouldBeInvalid(path);
        }
    }

    [Theory]
    [InlineData("99999999999")]
    [InlineData("2.99999999999")]
    [InlineData("99999999999999999999999.1")]
    public async Task AnyRoute_ApiVersionBeyondAnInt_Is400NamingTheHeader(string version)
    {
        foreach (var route in Routes.Names)
        {
            (await Api.PostAsync(route, "{}", headers: new Dictionary<string, string> { ["x-api-version"] = version }))
                .ShouldFail(400, "invalid_api_version", "x-api-version");
        }
    }

    [Theory]
    [InlineData("features.create", """{"feature_id":"f_null","name":"C","type":"credit_system","credit_schema":[null]}""", "credit_schema[0]")]
    [InlineData("features.update", """{"feature_id":"f_null","credit_schema":[null]}""", "credit_schema[0]")]
    [InlineData("billing.attach", """{"customer_id":"c","plan_id":"p","options":[null]}""", "options[0]")]
    [InlineData("billing.attach", """{"customer_id":"c","plan_id":"p","feature_quantities":[{"feature_id":"f","quantity":1},null]}""", "feature_quantities[1]")]
    [InlineData("plans.create", """{"plan_id":"p_null","name":"P","items":[{"feature_id":"f","price":{"tiers":[null]}}]}""", "items[0].price.tiers[0]")]
    [InlineData("balances.batch_track", """[null]""", "[0]")]
    [InlineData("customers.get", """{"customer_id":"c","expand":[null]}""", "expand[0]")]
    public async Task NullInsideAList_Is400NamingThePath(string route, string body, string path)
    {
        (await Api.PostAsync(route, body)).ShouldBeInvalid(path);
    }

    [Fact]
    public async Task NullInsideTheCallersOwnData_IsKept()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);

        (await Api.PostAsync("balances.track", $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","properties":{"tags":[null,"a"]}}""")).ShouldBe(200);

        var e = Assert.Single(await Api.EventsAsync(customer));
        Assert.Equal("""{"tags":[null,"a"]}""", e.Properties.GetRawText());
    }

    [Theory]
    [InlineData(50_001, "z")]
    [InlineData(30_000, "%")]
    [InlineData(257, "_")]
    public async Task CustomersList_SearchTooLong_Is400NamingSearch(int length, string ch)
    {
        (await Api.PostAsync("customers.list", $$"""{"search":"{{string.Concat(Enumerable.Repeat(ch, length))}}"}"""))
            .ShouldFail(400, "invalid_inputs", "search: must be at most 256 characters");
    }

    [Fact]
    public async Task CustomersList_SearchOfTheMaximumLength_IsServed()
    {
        (await Api.PostAsync("customers.list", $$"""{"search":"{{new string('%', 256)}}"}""")).ShouldBe(200);
    }

    [Theory]
    [InlineData("customer_id", 256, 1024, 4096)]
    public async Task Lengths_AtTheLimit_AreAccepted_OneBeyond_Is400(string idField, int idMax, int textMax, int freeMax)
    {
        var id = "c" + new string('i', idMax - 1);
        (await Api.PostAsync("customers.get_or_create", $$$"""{"{{{idField}}}":"{{{id}}}","name":"{{{new string('n', textMax)}}}","metadata":{"k":"{{{new string('m', freeMax)}}}"}}""")).ShouldBe(200);

        (await Api.PostAsync("customers.get_or_create", $$"""{"{{idField}}":"{{id}}x"}""")).ShouldFail(400, "invalid_inputs", $"{idField}: must be at most {idMax} characters");
        (await Api.PostAsync("customers.get_or_create", $$"""{"customer_id":"c_len","name":"{{new string('n', textMax + 1)}}"}""")).ShouldFail(400, "invalid_inputs", $"name: must be at most {textMax}");
        (await Api.PostAsync("customers.get_or_create", $$$"""{"customer_id":"c_len","metadata":{"k":"{{{new string('m', freeMax + 1)}}}"}}""")).ShouldFail(400, "invalid_inputs", $"metadata.k: must be at most {freeMax}");
        (await Api.PostAsync("customers.get_or_create", $$$"""{"customer_id":"c_len","metadata":{"{{{new string('k', 257)}}}":1}}""")).ShouldFail(400, "invalid_inputs", "metadata: property names must be at most 256");
        (await Api.PostAsync("customers.get", """{"customer_id":"c_len"}""")).ShouldFail(404, "customer_not_found");
    }

    [Theory]
    [InlineData("balances.track", "idempotency_key")]
    [InlineData("balances.track", "event_name")]
    [InlineData("balances.finalize", "lock_id")]
    [InlineData("plans.create", "plan_id")]
    [InlineData("entities.create", "entity_id")]
    public async Task IdFields_OverTheLimit_Are400NamingTheField(string route, string field)
    {
        (await Api.PostAsync(route, $$"""{"{{field}}":"{{new string('i', 257)}}"}""")).ShouldFail(400, "invalid_inputs", $"{field}: must be at most 256 characters");
    }

    [Fact]
    public async Task IdempotencyKeyHeader_TooLong_Is400NamingTheHeader()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        var body = $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","value":1}""";

        (await Api.PostAsync("balances.track", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = new string('k', 257) }))
            .ShouldFail(400, "invalid_inputs", "Idempotency-Key header");
        (await Api.PostAsync("balances.track", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = new string('k', 256) })).ShouldBe(200);

        Assert.Equal(1m, (await Api.BalanceAsync(customer, feature))!.Usage);
    }

    [Theory]
    [InlineData(32, 200)]
    [InlineData(33, 400)]
    public async Task Nesting_BeyondTheDepthLimit_Is400(int containers, int status)
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        // The body and properties are two containers; the rest nest inside properties.
        var inner = string.Concat(Enumerable.Repeat("[", containers - 2)) + string.Concat(Enumerable.Repeat("]", containers - 2));
        var res = await Api.PostAsync("balances.track", $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","properties":{"deep":{{{inner}}}}}""");

        if (status == 200)
        {
            res.ShouldBe(200);
        }
        else
        {
            res.ShouldFail(400, "invalid_inputs", "nested deeper than 32 levels");
        }
    }

    [Fact]
    public async Task Lists_OverTheItemLimit_Are400NamingTheList()
    {
        var items = string.Join(",", Enumerable.Repeat("""{"customer_id":"c","feature_id":"f"}""", 1001));

        (await Api.PostAsync("balances.batch_track", $"[{items}]")).ShouldFail(400, "invalid_inputs", "body: must have at most 1000 items");
        (await Api.PostAsync("customers.get", $$"""{"customer_id":"c","expand":[{{string.Join(",", Enumerable.Repeat("\"x\"", 1001))}}]}"""))
            .ShouldFail(400, "invalid_inputs", "expand: must have at most 1000 items");
    }
}
