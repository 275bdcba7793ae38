namespace Tally.Cli.Tests;

/// <summary>Exit codes: 2 for usage errors (with line and column for a bad file), 1 for API errors (with the code).</summary>
public sealed class ErrorTests
{
    [Theory]
    [InlineData("features:\n  - feature_id: a\n    name: A\n   type: metered\n", "tally.yaml:4:")]
    [InlineData("features:\n  - feature_id: a\n    name: A\n    type: metered\n    consumable: yes please\n", "tally.yaml:5:17: features[0].consumable: expected true or false, got 'yes please'")]
    [InlineData("plans:\n  - plan_id: p\n    name: P\n    items:\n      - feature_id: a\n        inclded: 5\n", "tally.yaml:6:9: plans[0].items[0]: unknown field 'inclded'")]
    [InlineData("plans:\n  - plan_id: p\n    name: P\n    items:\n      - feature_id: a\n        included: lots\n", "tally.yaml:6:19: plans[0].items[0].included: expected a number, got 'lots'")]
    [InlineData("plans:\n  - name: P\n", "tally.yaml:2:5: plans[0]: missing required field 'plan_id'")]
    [InlineData("features:\n  - {feature_id: a, name: A, type: boolean}\n  - {feature_id: a, name: B, type: boolean}\n", "tally.yaml:3:5: feature_id 'a' is listed twice")]
    [InlineData("products: []\n", "tally.yaml:1:1: unknown key 'products'")]
    public async Task Push_InvalidFile_ExitsWith2AndTheLineAndColumn_WithoutCallingTheServer(string yaml, string expected)
    {
        // No server at all: a bad file must be refused before any call.
        using var cli = new CliRun();
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), yaml);

        var result = await cli.RunAsync("push", "--yes", "--url", "http://127.0.0.1:1", "--key", "am_sk_test_none");

        Assert.True(result.Code == 2, result.ToString());
        Assert.Contains(expected, result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_RefusedByTheServer_ExitsWith1AndPrintsTheCode()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), "plans:\n  - plan_id: p\n    name: P\n    items:\n      - feature_id: ghost\n");

        var result = await cli.RunAsync("push", "--yes");

        Assert.True(result.Code == 1, result.ToString());
        Assert.Contains("error: feature_not_found (HTTP 404)", result.Err, StringComparison.Ordinal);
        Assert.Empty((await server.NewClient().Plans.ListAsync()).List);
    }

    [Fact]
    public async Task ApiError_WithJson_PrintsTheErrorBodyOnStdout()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var result = await cli.RunAsync("customers", "get", "nobody", "--json");

        Assert.True(result.Code == 1, result.ToString());
        Assert.Contains("customer_not_found", result.Err, StringComparison.Ordinal);
        using var body = System.Text.Json.JsonDocument.Parse(result.Out);
        Assert.Equal("customer_not_found", body.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task WrongKey_ExitsWith1AndTheAuthCode()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var result = await cli.RunAsync("customers", "list", "--key", "am_sk_test_wrong");

        Assert.True(result.Code == 1, result.ToString());
        Assert.Contains("(HTTP 401)", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableServer_ExitsWith1()
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync("customers", "list", "--url", "http://127.0.0.1:1", "--key", "am_sk_test_x");

        Assert.True(result.Code == 1, result.ToString());
        Assert.Contains("cannot reach the server at http://127.0.0.1:1", result.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "Required command was not provided")]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    [InlineData(new[] { "events", "list" }, "Option '--customer' is required")]
    [InlineData(new[] { "track", "--customer", "c1" }, "give exactly one of --feature and --event")]
    [InlineData(new[] { "track", "--customer", "c1", "--feature", "f", "--value", "many" }, "many")]
    public async Task BadCommandLine_ExitsWith2(string[] args, string expected)
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync(args);

        Assert.True(result.Code == 2, result.ToString());
        Assert.Contains(expected, result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoKey_IsAUsageError()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        cli.Without("TALLY_SECRET_KEY");

        var result = await cli.RunAsync("customers", "list");

        Assert.True(result.Code == 2, result.ToString());
        Assert.Contains("no secret key: pass --key or set TALLY_SECRET_KEY", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonHttpUrl_IsAUsageError()
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync("customers", "list", "--url", "ftp://example", "--key", "am_sk_test_x");

        Assert.True(result.Code == 2, result.ToString());
        Assert.Contains("--url: 'ftp://example' is not an http(s) URL", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_OverAnExistingFile_Declined_KeepsIt()
    {
        using var cli = new CliRun();
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), "features: []\n");

        var declined = await cli.RunWithInputAsync("no\n", "init");

        Assert.True(declined.Code == 0, declined.ToString());
        Assert.Contains("exists. Overwrite it? [y/N]", declined.Err, StringComparison.Ordinal);
        Assert.Equal("features: []\n", await File.ReadAllTextAsync(cli.PathOf("tally.yaml")));
        Assert.Equal(0, (await cli.RunAsync("init", "--yes")).Code);
        Assert.StartsWith("# Tally catalog as code", await File.ReadAllTextAsync(cli.PathOf("tally.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ExitsWith0AndListsTheCommands()
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync("--help");

        Assert.True(result.Code == 0, result.ToString());
        foreach (var command in new[] { "init", "push", "pull", "customers", "events", "track", "check" })
        {
            Assert.Contains(command, result.Out, StringComparison.Ordinal);
        }
    }
}
