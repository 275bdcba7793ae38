using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>customers, events, track and check against a real server with a pushed catalog.</summary>
public sealed class InspectionTests
{
    private const string Catalog = """
        features:
          - { feature_id: messages, name: Messages, type: metered, consumable: true }
        plans:
          - plan_id: pro
            name: Pro
            items:
              - { feature_id: messages, included: 100, reset: { interval: month } }
        """;

    private static async Task<CliRun> ArrangeAsync(TallyServer server)
    {
        var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        var client = server.NewClient();
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "ada", Name = "Ada Lovelace", Email = "ada@example.com" });
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "bob", Name = "Bob" });
        await client.Billing.AttachAsync(new AttachParams { CustomerId = "ada", PlanId = "pro" });
        return cli;
    }

    [Fact]
    public async Task TrackThenCustomersGet_ShowsGrantedRemainingAndUsageInTheTable()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var track = await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "30");
        Assert.True(track.Code == 0, track.ToString());
        Assert.Contains("Tracked 30 for ada.", track.Out, StringComparison.Ordinal);

        var get = await cli.RunAsync("customers", "get", "ada");
        Assert.True(get.Code == 0, get.ToString());
        var row = get.Out.Split('\n').Single(l => l.Contains("messages", StringComparison.Ordinal));
        var cells = row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("messages", cells[0]);
        Assert.Equal("100", cells[1]);
        Assert.Equal("70", cells[2]);
        Assert.Equal("30", cells[3]);
        Assert.EndsWith("UTC", cells[4], StringComparison.Ordinal);
        Assert.Contains("plan pro: active", get.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomersGet_Json_IsTheCustomerBody()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var get = await cli.RunAsync("--json", "customers", "get", "ada");

        Assert.True(get.Code == 0, get.ToString());
        using var doc = JsonDocument.Parse(get.Out);
        Assert.Equal("ada", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal(100m, doc.RootElement.GetProperty("balances").GetProperty("messages").GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public async Task CustomersList_Search_FiltersAndJsonParses()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var all = await cli.RunAsync("customers", "list");
        Assert.True(all.Code == 0, all.ToString());
        Assert.Contains("ada", all.Out, StringComparison.Ordinal);
        Assert.Contains("bob", all.Out, StringComparison.Ordinal);

        var search = await cli.RunAsync("customers", "list", "--search", "lovelace", "--json");
        Assert.True(search.Code == 0, search.ToString());
        using var doc = JsonDocument.Parse(search.Out);
        Assert.Equal("ada", Assert.Single(doc.RootElement.GetProperty("list").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task EventsList_ShowsTrackedEvents_FilteredByFeature()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "7")).Code);

        var list = await cli.RunAsync("events", "list", "--customer", "ada", "--feature", "messages");
        Assert.True(list.Code == 0, list.ToString());
        Assert.Contains("1 event(s).", list.Out, StringComparison.Ordinal);
        Assert.Matches(@"│ messages\s+│\s+7 │", list.Out);

        var json = await cli.RunAsync("events", "list", "--customer", "ada", "--json");
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(7m, Assert.Single(doc.RootElement.GetProperty("list").EnumerateArray()).GetProperty("value").GetDecimal());

        var none = await cli.RunAsync("events", "list", "--customer", "bob");
        Assert.Contains("0 event(s).", none.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AnswersAllowedOrNot_WithExitCode0()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var allowed = await cli.RunAsync("check", "--customer", "ada", "--feature", "messages", "--required", "100");
        Assert.True(allowed.Code == 0, allowed.ToString());
        Assert.StartsWith("allowed", allowed.Out, StringComparison.Ordinal);

        var denied = await cli.RunAsync("check", "--customer", "ada", "--feature", "messages", "--required", "101", "--json");
        Assert.True(denied.Code == 0, denied.ToString());
        using var doc = JsonDocument.Parse(denied.Out);
        Assert.False(doc.RootElement.GetProperty("allowed").GetBoolean());

        // check is a dry run: nothing was used.
        var customer = await server.NewClient().Customers.GetAsync(new GetCustomerParams { CustomerId = "ada" });
        Assert.Equal(100m, customer.Balances["messages"].Remaining);
    }

    [Fact]
    public async Task UrlOption_OverridesTheEnvironment()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun();

        var list = await cli.RunAsync("customers", "list", "--url", server.Url, "--key", TallyServer.SecretKey);

        Assert.True(list.Code == 0, list.ToString());
        Assert.Contains("0 customer(s).", list.Out, StringComparison.Ordinal);
    }
}
