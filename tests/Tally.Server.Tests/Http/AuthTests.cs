namespace Tally.Server.Tests.Http;

/// <summary>autumn-api.md §1.5 (auth) and §1.1 (x-api-version): every failure is a JSON {message, code}.</summary>
public sealed class AuthTests(TallyApp app) : IClassFixture<TallyApp>
{
    private const string AnyRoute = "features.list";

    [Fact]
    public async Task MissingAuthorization_Is401NoSecretKey()
    {
        var res = await app.Api.PostAsync(AnyRoute, "{}", key: TallyApi.NoKey);

        res.ShouldFail(401, "no_secret_key", "Secret key not found", env: null);
    }

    [Theory]
    [InlineData("Bearer ")]
    [InlineData("Bearer    ")]
    public async Task EmptyBearerToken_Is401NoSecretKey(string header)
    {
        var res = await app.Api.PostAsync(AnyRoute, "{}", key: TallyApi.NoKey, headers: new Dictionary<string, string> { ["Authorization"] = header });

        res.ShouldFail(401, "no_secret_key", env: null);
    }

    [Theory]
    [InlineData("am_sk_test_doesnotexist")]
    [InlineData("am_sk_live_doesnotexist")]
    [InlineData("am_sk_whatever")]
    public async Task UnknownSecretKey_Is401InvalidSecretKey_AndMasksTheKey(string key)
    {
        var res = await app.Api.PostAsync(AnyRoute, "{}", key: key);

        res.ShouldFail(401, "invalid_secret_key", env: null);
        if (key.Length > 15)
        {
            Assert.DoesNotContain(key, res.Message, StringComparison.Ordinal);
            Assert.Contains(key[..15], res.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Bearer xyz")]
    [InlineData("Bearer am_pk_test_publishable")]
    [InlineData("Basic am_sk_test_srvtests_org_a")]
    [InlineData("am_sk_test_srvtests_org_a")]
    public async Task WrongTokenPrefix_Is401InvalidRequest(string header)
    {
        var res = await app.Api.PostAsync(AnyRoute, "{}", key: TallyApi.NoKey, headers: new Dictionary<string, string> { ["Authorization"] = header });

        res.ShouldFail(401, "invalid_request", "prefix", env: null);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("1.2")]
    [InlineData("2.0.0")]
    [InlineData("3.0.0")]
    [InlineData("2.3.0.1")]
    public async Task UnsupportedApiVersion_Is400InvalidApiVersion(string version)
    {
        var res = await app.Api.PostAsync(AnyRoute, "{}", headers: new Dictionary<string, string> { ["x-api-version"] = version });

        res.ShouldFail(400, "invalid_api_version", version);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2.3.0")]
    [InlineData("2.4.0")]
    [InlineData("2.3")]
    [InlineData("2.1.0")]
    [InlineData("2026-05-13")]
    public async Task SupportedApiVersion_IsServed(string? version)
    {
        var headers = version is null ? null : new Dictionary<string, string> { ["x-api-version"] = version };

        var res = await app.Api.PostAsync(AnyRoute, "{}", headers: headers);

        res.ShouldBe(200);
        Assert.Equal(JsonValueKind.Array, res.Json.GetProperty("list").ValueKind);
    }

    [Fact]
    public async Task LiveKey_IsAcceptedAndEchoedAsLiveEnv()
    {
        var live = app.For(TallyApp.LiveKey);

        var res = await live.PostAsync("customers.get", """{"customer_id":"nobody_here"}""");

        res.ShouldFail(404, "customer_not_found", env: "live");
    }

    /// <summary>Every RPC route sits behind auth (and answers JSON even then).</summary>
    [Theory]
    [MemberData(nameof(Routes.All), MemberType = typeof(Routes))]
    public async Task EveryRoute_WithoutKey_Is401(string route)
    {
        var res = await app.Api.PostAsync(route, "{}", key: TallyApi.NoKey);

        res.ShouldFail(401, "no_secret_key", env: null);
    }

    [Fact]
    public async Task UnknownRoute_Is404Json()
    {
        var res = await app.Api.PostAsync("nothing.here", "{}");

        res.ShouldFail(404, "not_found", env: null);
    }

    [Fact]
    public async Task GetOnAnRpcRoute_Is405Json()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/features.list");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TallyApp.SandboxKey);
        using var response = await app.Http.SendAsync(request);

        (await ApiResult.ReadAsync(response)).ShouldFail(405, "method_not_allowed", "use POST", env: null);
    }

    [Fact]
    public async Task Healthz_NeedsNoKey()
    {
        using var res = await app.Http.GetAsync("/healthz");

        Assert.Equal(200, (int)res.StatusCode);
        Assert.Equal("ok", await res.Content.ReadAsStringAsync());
    }
}
