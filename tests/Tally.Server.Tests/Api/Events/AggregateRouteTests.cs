using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Tally.Contracts;

namespace Tally.Server.Tests.Api.Events;

/// <summary>One server per store for the aggregate tests (PostgreSQL only when TALLY_TEST_POSTGRES is set).</summary>
public sealed class AggregateStores : IAsyncLifetime
{
    public const string Key = "am_sk_test_aggregate_tests";
    private readonly string _dir = TempDirs.Create("tally-aggregate");
    private readonly Dictionary<string, (Factory Factory, TallyApi Api)> _servers = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _pgDatabase;

    public static string? Postgres => Environment.GetEnvironmentVariable("TALLY_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;

    public static TheoryData<string> Stores => Postgres is null ? ["sqlite"] : ["sqlite", "postgres"];

    public async Task<TallyApi> ApiAsync(string store)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_servers.TryGetValue(store, out var s))
            {
                string database;
                if (store == "postgres")
                {
                    _pgDatabase = "tally_aggregate_" + Guid.NewGuid().ToString("N")[..12];
                    await ExecAsync(Postgres!, $"CREATE DATABASE {_pgDatabase}");
                    database = new NpgsqlConnectionStringBuilder(Postgres) { Database = _pgDatabase }.ConnectionString;
                }
                else
                {
                    Directory.CreateDirectory(_dir);
                    database = Path.Combine(_dir, "tally.db");
                }
                var factory = new Factory(database);
                s = (factory, new TallyApi(factory.CreateClient(), Key));
                _servers[store] = s;
            }
            return s.Api;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (factory, api) in _servers.Values)
        {
            api.Http.Dispose();
            await factory.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
        if (_pgDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(Postgres!, $"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)");
        }
        _gate.Dispose();
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private sealed class Factory(string database) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", Key);
        }
    }
}

/// <summary>events.aggregate through HTTP on each store: bins, refunds, groups, filters, deductions, entity scope, the rollup.</summary>
public sealed class AggregateRouteTests(AggregateStores stores) : IClassFixture<AggregateStores>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private const long Day = 86_400_000;

    private static long DayStart(long ms) => ms - (ms % Day);

    private static Task<ApiResult> TrackAtAsync(TallyApi api, string customer, string feature, decimal value, long timestamp,
        string? properties = null, string? entity = null) =>
        api.PostAsync("balances.track", $$"""
            {"customer_id":"{{customer}}","feature_id":"{{feature}}","value":{{value.ToString(CultureInfo.InvariantCulture)}},"timestamp":{{timestamp}}{{(entity is null ? "" : $",\"entity_id\":\"{entity}\"")}}{{(properties is null ? "" : ",\"properties\":" + properties)}}}
            """);

    private static async Task<AggregateEventsResponse> AggregateAsync(TallyApi api, string body)
    {
        var res = await api.PostAsync("events.aggregate", body);
        res.ShouldBe(200);
        return res.As(C.AggregateEventsResponse);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_7dDaily_EveryBinPresent_RefundsCount(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1000);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var twoDaysAgo = now - (2 * Day);
        (await TrackAtAsync(api, customer, feature, 5, twoDaysAgo)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, -2, twoDaysAgo + 1)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 4, now - 1000)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 100, now - (20 * Day))).ShouldBe(200);

        var r = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"7d"}""");

        Assert.Equal(8, r.List.Count);
        Assert.Equal(DayStart(now - (7 * Day)), r.List[0].Period);
        Assert.Equal(DayStart(now), r.List[^1].Period);
        Assert.Equal(3m, r.List.Single(p => p.Period == DayStart(twoDaysAgo)).Values[feature]);
        Assert.Equal(4m, r.List.Single(p => p.Period == DayStart(now - 1000)).Values[feature]);
        Assert.Equal(6, r.List.Count(p => p.Values[feature] == 0m));
        Assert.Equal(3, r.Total[feature].Count);
        Assert.Equal(7m, r.Total[feature].Sum);
        Assert.Null(r.List[0].GroupedValues);
        Assert.Null(r.Deductions);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_GroupByProperty_FoldsTheRestIntoOther_AndFilterByNarrows(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1000);
        var t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Day;
        (await TrackAtAsync(api, customer, feature, 10, t, """{"model":"a","region":"eu"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 6, t, """{"model":"b","region":"us"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 2, t, """{"model":"c","region":"eu"}""")).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 1, t, """{"region":"eu"}""")).ShouldBe(200);

        var grouped = await AggregateAsync(api,
            $$"""{"customer_id":"{{customer}}","feature_id":["{{feature}}"],"range":"7d","group_by":"properties.model","max_groups":2}""");
        var filtered = await AggregateAsync(api,
            $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"7d","filter_by":{"region":"eu"} }""");

        var bin = grouped.List.Single(p => p.Period == DayStart(t));
        Assert.Equal(new Dictionary<string, decimal> { ["a"] = 10, ["b"] = 6, ["Other"] = 3 }, bin.GroupedValues![feature]);
        Assert.Equal(19m, bin.Values[feature]);
        Assert.All(grouped.List.Where(p => p.Period != bin.Period), p => Assert.Equal(0m, p.GroupedValues![feature]["Other"]));
        Assert.Equal(13m, filtered.Total[feature].Sum);
        Assert.Equal(3, filtered.Total[feature].Count);
        Assert.Equal(13m, filtered.List.Single(p => p.Period == DayStart(t)).Values[feature]);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_Deducted_ShowsWhatEachBalanceGaveUp(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, plan) = await api.CustomerWithBalanceAsync(1000);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        (await TrackAtAsync(api, customer, feature, 7, now - 5000)).ShouldBe(200);
        (await TrackAtAsync(api, customer, feature, 3, now - 4000)).ShouldBe(200);

        var r = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"24h","aggregate_on":"deducted"}""");

        Assert.Equal(25, r.List.Count);
        Assert.Equal(r.List.Select(p => p.Period), r.Deductions!.Select(p => p.Period));
        var last = Assert.Single(r.Deductions!.SelectMany(p => p.Values), v => v.Key == feature && v.Value.Events > 0).Value;
        Assert.Equal("metered", last.FeatureType);
        Assert.Equal(10m, last.Deducted);
        Assert.Equal(2, last.Events);
        var balance = Assert.Single(last.Balances);
        Assert.Equal(plan, balance.PlanId);
        Assert.Equal("month", balance.Reset!.Interval);
        Assert.Null(balance.CreditCost);
        Assert.Equal(10m, balance.Deducted);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_EventNameFanOut_CountsForEveryFeatureListingIt(string store)
    {
        var api = await stores.ApiAsync(store);
        var name = Id.New("evname");
        var a = await api.MeteredFeatureAsync(eventNames: name);
        var b = await api.MeteredFeatureAsync(eventNames: name);
        var customer = await api.CustomerAsync();
        await api.AttachAsync(customer, await api.PlanAsync(Setup.Item(a, 100), Setup.Item(b, 100)));
        (await api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","event_name":"{{name}}","value":4}""")).ShouldBe(200);
        (await api.TrackAsync(customer, a, 1)).ShouldBe(200);

        var r = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","feature_id":["{{a}}","{{b}}"],"range":"24h"}""");

        Assert.Equal(5m, r.Total[a].Sum);
        Assert.Equal(2, r.Total[a].Count);
        Assert.Equal(4m, r.Total[b].Sum);
        Assert.Equal(1, r.Total[b].Count);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_RollupEqualsRecomputationFromTheLedger(string store)
    {
        var api = await stores.ApiAsync(store);
        var (customer, feature, _) = await api.CustomerWithBalanceAsync(1_000_000);
        var random = new Random(20261202);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < 60; i++)
        {
            var value = random.Next(-3, 20);
            (await TrackAtAsync(api, customer, feature, value, now - random.NextInt64(0, 10 * Day))).ShouldBe(200);
        }

        var r = await AggregateAsync(api, $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","range":"30d","bin_size":"hour"}""");
        var ledger = await api.EventsAsync(customer);

        var expected = ledger.GroupBy(e => e.Timestamp - (e.Timestamp % 3_600_000)).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
        Assert.Equal(60, ledger.Count);
        Assert.All(r.List, p => Assert.Equal(expected.GetValueOrDefault(p.Period), p.Values[feature]));
        Assert.Equal(ledger.Sum(e => e.Value), r.Total[feature].Sum);
        Assert.Equal(60, r.Total[feature].Count);
    }

    [Theory]
    [MemberData(nameof(AggregateStores.Stores), MemberType = typeof(AggregateStores))]
    public async Task Aggregate_UnknownCustomer_Is404(string store)
    {
        var api = await stores.ApiAsync(store);
        var res = await api.PostAsync("events.aggregate", """{"customer_id":"nobody_here","feature_id":"x","range":"7d"}""");
        res.ShouldBe(404);
    }

    [Theory]
    [InlineData("""{"range":"7d"}""", "feature_id")]
    [InlineData("""{"feature_id":"x"}""", "range")]
    [InlineData("""{"feature_id":"x","range":"7d","custom_range":{"start":1,"end":2}}""", "range")]
    [InlineData("""{"feature_id":"x","range":"8d"}""", "range")]
    [InlineData("""{"feature_id":"x","custom_range":{"start":5,"end":1}}""", "custom_range")]
    [InlineData("""{"feature_id":"x","custom_range":{"start":0,"end":253402300799999},"bin_size":"hour"}""", "custom_range")]
    [InlineData("""{"feature_id":"x","range":"7d","bin_size":"year"}""", "bin_size")]
    [InlineData("""{"feature_id":"x","range":"7d","group_by":"model"}""", "group_by")]
    [InlineData("""{"feature_id":"x","range":"7d","max_groups":251}""", "max_groups")]
    [InlineData("""{"feature_id":"x","range":"7d","filter_by":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1"}}""", "filter_by")]
    [InlineData("""{"feature_id":"x","range":"7d","filter_by":{"a":1}}""", "filter_by")]
    [InlineData("""{"feature_id":"x","range":"7d","aggregate_on":"deducted"}""", "customer_id")]
    public async Task Aggregate_BadInput_Is400NamingTheField(string body, string field)
    {
        var api = await stores.ApiAsync("sqlite");
        var res = await api.PostAsync("events.aggregate", body);
        res.ShouldBe(400);
        Assert.StartsWith(field, res.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
