using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Tally.Server.Tests.Api.Customers;

/// <summary>billing_controls through HTTP: validation, per-key merge, and usage limits that hold under concurrent tracks.</summary>
public sealed class BillingControlsRouteTests(TallyApp app) : IClassFixture<TallyApp>
{
    private TallyApi Api => app.Api;

    private static string Limit(string feature, int limit) =>
        $$"""{"usage_limits":[{"feature_id":"{{feature}}","enabled":true,"limit":{{limit}},"interval":"month","anchor":"utc"}]}""";

    private static Task<ApiResult> UpdateAsync(TallyApi api, string customer, string controls) =>
        api.PostAsync("customers.update", $$"""{"customer_id":"{{customer}}","billing_controls":{{controls}}}""");

    private static Task<ApiResult[]> InParallel(int n, Func<int, Task<ApiResult>> call) =>
        Task.WhenAll(Enumerable.Range(0, n).Select(i => Task.Run(() => call(i))));

    [Theory]
    [InlineData("""{"usage_limits":[{"limit":5,"interval":"day"}]}""", "billing_controls.usage_limits[0].feature_id")]
    [InlineData("""{"usage_limits":[{"feature_id":"f","limit":5,"interval":"day"},{"feature_id":"f","limit":6,"interval":"day"}]}""", "billing_controls.usage_limits[1]")]
    [InlineData("""{"spend_limits":[{"feature_id":"f","overage_limit":-1}]}""", "billing_controls.spend_limits[0].overage_limit")]
    [InlineData("""{"usage_alerts":[{"feature_id":"f","threshold":"x","threshold_type":"usage"}]}""", "billing_controls.usage_alerts[0].threshold")]
    public async Task Update_InvalidControls_400NamingTheField_AndNothingChanges(string controls, string field)
    {
        var customer = await Api.CustomerAsync();

        var res = await UpdateAsync(Api, customer, controls);

        res.ShouldFail(400, "invalid_inputs");
        Assert.StartsWith(field, res.Message);
        var stored = (await Api.GetCustomerRawAsync(customer)).Json.GetProperty("billing_controls");
        Assert.Empty(stored.EnumerateObject());
    }

    [Fact]
    public async Task GetOrCreate_InvalidControls_400()
    {
        var res = await Api.PostAsync("customers.get_or_create",
            $$$"""{"customer_id":"{{{Id.New("cus")}}}","billing_controls":{"overage_allowed":[{"enabled":true}]}}""");

        res.ShouldFail(400, "invalid_inputs");
    }

    [Fact]
    public async Task Update_SendingOneKey_LeavesTheOthers()
    {
        var customer = await Api.CustomerAsync();
        (await UpdateAsync(Api, customer, """{"overage_allowed":[{"feature_id":"f","enabled":true}],"usage_limits":[{"feature_id":"f","limit":1,"interval":"day"}]}""")).ShouldBe(200);

        var res = await UpdateAsync(Api, customer, """{"usage_limits":[{"feature_id":"f","limit":9,"interval":"week"}]}""");

        var controls = res.ShouldBe(200).Json.GetProperty("billing_controls");
        Assert.True(controls.GetProperty("overage_allowed")[0].GetProperty("enabled").GetBoolean());
        var limit = Assert.Single(controls.GetProperty("usage_limits").EnumerateArray());
        Assert.Equal(9, limit.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task Entity_UpdateMergesAndValidates()
    {
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var customer = await Api.CustomerAsync();
        (await Api.PostAsync("entities.create",
            $$$"""{"customer_id":"{{{customer}}}","entity_id":"u1","feature_id":"{{{seats}}}","billing_controls":{"overage_allowed":[{"feature_id":"f","enabled":false}]}}""")).ShouldBe(200);

        var bad = await Api.PostAsync("entities.update", $$$"""{"customer_id":"{{{customer}}}","entity_id":"u1","billing_controls":{"spend_limits":[{"feature_id":"f","limit_type":"bogus"}]}}""");
        var good = await Api.PostAsync("entities.update", $$$"""{"customer_id":"{{{customer}}}","entity_id":"u1","billing_controls":{"spend_limits":[{"feature_id":"f","overage_limit":5}]}}""");

        bad.ShouldFail(400, "invalid_inputs");
        var controls = good.ShouldBe(200).Json.GetProperty("billing_controls");
        Assert.Equal(JsonValueKind.Array, controls.GetProperty("overage_allowed").ValueKind);
        Assert.Equal(5, controls.GetProperty("spend_limits")[0].GetProperty("overage_limit").GetInt32());
    }

    [Fact]
    public async Task UsageLimit_FullWindow_CheckFalseAndTrackRefused()
    {
        var (customer, feature, _) = await Api.CustomerWithBalanceAsync(100);
        (await UpdateAsync(Api, customer, Limit(feature, 5))).ShouldBe(200);

        (await Api.TrackAsync(customer, feature, 5)).ShouldBe(200);
        var check = await Api.CheckAsync(customer, feature, 1);
        var track = await Api.TrackAsync(customer, feature, 1);

        Assert.False(check.ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
        track.ShouldFail(400, "usage_limit_exceeded");
        Assert.Equal(95m, (await Api.BalanceAsync(customer, feature))!.Remaining);
    }

    [Fact]
    public async Task UsageLimit_ConcurrentTracks_AcceptedSumNeverExceedsTheLimit_Sqlite() => await ConcurrentAsync(Api);

    [PostgresFact]
    public async Task UsageLimit_ConcurrentTracks_AcceptedSumNeverExceedsTheLimit_Postgres()
    {
        var admin = Environment.GetEnvironmentVariable("TALLY_TEST_POSTGRES")!;
        var database = "tally_controls_" + Guid.NewGuid().ToString("N")[..12];
        await ExecAsync(admin, $"CREATE DATABASE {database}");
        try
        {
            await using var factory = new PgFactory(new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString);
            using var http = factory.CreateClient();
            await ConcurrentAsync(new TallyApi(http, PgFactory.Key));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    // 80 parallel reject tracks of 3 against a monthly cap of 100 and a balance of 1000: exactly 33 fit.
    private static async Task ConcurrentAsync(TallyApi api)
    {
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1000);
        (await UpdateAsync(api, customer, Limit(feature, 100))).ShouldBe(200);

        var rejects = await InParallel(80, _ => api.TrackAsync(customer, feature, 3, overage: "reject"));
        var caps = await InParallel(20, _ => api.TrackAsync(customer, feature, 2));

        Assert.Equal(33, rejects.Count(r => r.Status == 200));
        Assert.All(rejects.Where(r => r.Status != 200), r => r.ShouldFail(400, "usage_limit_exceeded"));
        Assert.All(caps.Where(r => r.Status != 200), r => r.ShouldFail(400, "usage_limit_exceeded"));
        var balance = await api.BalanceAsync(customer, feature);
        Assert.Equal(100m, balance!.Usage);
        Assert.False((await api.CheckAsync(customer, feature, 1)).ShouldBe(200).Json.GetProperty("allowed").GetBoolean());
    }

    private static async Task ExecAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private sealed class PgFactory(string database) : WebApplicationFactory<Program>
    {
        public const string Key = "am_sk_test_controls_pg";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", Key);
        }
    }
}
