using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tally.Server.Http;

namespace Tally.Server.Tests.Http.Fuzz;

/// <summary>
/// A seeded fuzz of every RPC route in the server's route table (a new route is fuzzed without touching this file):
/// no answer is a 5xx, every error is a JSON <c>{message, code}</c>, the server stays healthy, everything it stored
/// can still be listed, and a customer the fuzz never names is byte-identical afterwards. On SQLite always; on
/// PostgreSQL when TALLY_TEST_POSTGRES is set.
/// </summary>
public sealed class RouteFuzzTests
{
    private const int Seed = 20261202;
    private const string Key = "am_sk_test_route_fuzz";

    /// <summary>90 per route under TALLY_LONG_TESTS=1 (CI); locally the first quarter of the same seeded sequence.</summary>
    private static readonly int BodiesPerRoute = PropertyRuns.Count(90);

    [Fact]
    public async Task EveryRoute_HostileBodies_Answer4xxJson_AndLeaveOthersUntouched_Sqlite()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tally-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await using var factory = new Factory(Path.Combine(dir, "tally.db"));
            await FuzzAsync(factory);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [PostgresFact]
    public async Task EveryRoute_HostileBodies_Answer4xxJson_AndLeaveOthersUntouched_Postgres()
    {
        await using var database = await PostgresDatabase.CreateAsync("tally_fuzz_");
        try
        {
            await using var factory = new Factory(database.ConnectionString());
            await FuzzAsync(factory);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static async Task FuzzAsync(Factory factory)
    {
        using var http = factory.CreateClient();
        var api = new TallyApi(http, Key);
        var routes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<RpcRoute>())
            .OfType<RpcRoute>()
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(Routes.Names.Order(StringComparer.Ordinal), routes.Select(r => r.Name));

        // A customer the fuzz never names, with a balance and a ledger row: it must come out byte-identical.
        var seedFeature = await api.MeteredFeatureAsync("seed_feature");
        var seedPlan = await api.PlanAsync(Setup.Item(seedFeature, 100));
        var seedCustomer = await api.CustomerAsync("seed_customer");
        await api.AttachAsync(seedCustomer, seedPlan);
        (await api.PostAsync("balances.track", $$"""{"customer_id":"{{seedCustomer}}","feature_id":"{{seedFeature}}","value":3}""")).ShouldBe(200);
        var before = (await api.GetCustomerRawAsync(seedCustomer)).ShouldBe(200).Body;
        var beforeEvents = (await api.PostAsync("events.list", $$"""{"customer_id":"{{seedCustomer}}"}""")).ShouldBe(200).Body;

        // The fuzz's own catalog and customer, so plausible bodies get past "not found" into the handlers.
        var feature = await api.MeteredFeatureAsync("fz_feature");
        var boolean = await api.BooleanFeatureAsync("fz_flag");
        var seats = await api.MeteredFeatureAsync("fz_seats", consumable: false);
        var plan = await api.PlanAsync(Setup.Item(feature, 1000), Setup.Item(seats, 10, null), new Tally.Contracts.PlanItem { FeatureId = boolean });
        var customer = await api.CustomerAsync("fz_customer");
        await api.AttachAsync(customer, plan);
        (await api.PostAsync("entities.create", $$"""{"customer_id":"{{customer}}","entity_id":"fz_entity","feature_id":"{{seats}}"}""")).ShouldBe(200);
        var ids = new FuzzIds(customer, feature, boolean, plan, "fz_entity");

        var failures = new List<string>();
        foreach (var route in routes)
        {
            var random = new Random(Seed ^ StableHash(route.Name));
            var bodies = new FuzzBodies(route.Request, random, ids);
            for (var i = 0; i < BodiesPerRoute && failures.Count < 20; i++)
            {
                var body = bodies.Next();
                var res = await PostAsync(http, route.Name, body, random);
                if (Problem(res) is { } problem)
                {
                    failures.Add($"{route.Name} #{i}: {problem}\n  body: {Show(body)}\n  answer: {res}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        Assert.Equal(before, (await api.GetCustomerRawAsync(seedCustomer)).ShouldBe(200).Body);
        Assert.Equal(beforeEvents, (await api.PostAsync("events.list", $$"""{"customer_id":"{{seedCustomer}}"}""")).ShouldBe(200).Body);
        // Everything the fuzz managed to store can be read back and served.
        foreach (var (route, body) in new[]
        {
            ("events.list", "{}"), ("events.list", $$"""{"customer_id":"{{customer}}"}"""), ("customers.list", "{}"),
            ("features.list", "{}"), ("plans.list", "{}"), ("entities.list", $$"""{"customer_id":"{{customer}}"}"""),
        })
        {
            (await api.PostAsync(route, body)).ShouldBe(200);
        }
        var fz = await api.GetCustomerRawAsync(customer);
        Assert.True(fz.Status is 200 or 404, fz.ToString());
    }

    /// <summary>Posts raw bytes; a few requests also carry a hostile header Tally reads.</summary>
    private static async Task<ApiResult> PostAsync(HttpClient http, string route, byte[] body, Random random)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/" + route) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Key);
        switch (random.Next(20))
        {
            case 0:
                request.Headers.TryAddWithoutValidation("x-api-version", random.Next(2) == 0 ? "99999999999" : "2.99999999999");
                break;
            case 1:
                request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
                break;
            case 2:
                request.Headers.TryAddWithoutValidation("Idempotency-Key", "fz-" + random.Next(5).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
        using var response = await http.SendAsync(request);
        return await ApiResult.ReadAsync(response);
    }

    private static string? Problem(ApiResult res)
    {
        if (res.Status >= 500)
        {
            return "a 5xx";
        }
        if (res.Status == 200 && res.ContentType == "application/x-ndjson")
        {
            // A streamed answer (admin.*): every line one JSON object, the last one closing it.
            return StreamProblem(res.Body);
        }
        if (res.ContentType != "application/json")
        {
            return "not JSON";
        }
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(res.Body).RootElement;
        }
        catch (JsonException)
        {
            return "an unparsable body";
        }
        if (res.Status >= 400 && (json.ValueKind != JsonValueKind.Object
            || !json.TryGetProperty("message", out var m) || m.ValueKind != JsonValueKind.String || m.GetString()!.Length == 0
            || !json.TryGetProperty("code", out var c) || c.ValueKind != JsonValueKind.String))
        {
            return "an error without {message, code}";
        }
        return null;
    }

    private static string? StreamProblem(byte[] body)
    {
        var lines = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            var parsed = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            return parsed.Count > 0 && parsed[^1].TryGetProperty("type", out var t) && t.GetString() == "done" ? null : "a stream without its done line";
        }
        catch (JsonException)
        {
            return "an unparsable line in a stream";
        }
    }

    private static string Show(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length > 400 ? text[..400] + "…" : text;
    }

    /// <summary>string.GetHashCode differs per process; the seed of a route must not.</summary>
    private static int StableHash(string s)
    {
        var h = unchecked((int)2166136261);
        foreach (var ch in s)
        {
            h = unchecked((h ^ ch) * 16777619);
        }
        return h;
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
