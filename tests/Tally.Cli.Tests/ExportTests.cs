using System.Globalization;
using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>tally export usage against a real server: usage, included and overage per customer, feature and month.</summary>
public sealed class ExportTests
{
    private const string Catalog = """
        features:
          - { feature_id: messages, name: Messages, type: metered, consumable: true }
        plans:
          - plan_id: pro
            name: Pro
            items:
              - feature_id: messages
                included: 100
                reset: { interval: month }
                # Usage-based, so use beyond the allowance is allowed and billed as overage.
                price: { amount: 1, billing_units: 1, interval: month, billing_method: usage_based }
        """;

    // Wide enough around now that the track lands inside whatever month the test runs in.
    private static readonly string From = DateTimeOffset.UtcNow.AddDays(-40).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    private static readonly string To = DateTimeOffset.UtcNow.AddDays(40).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<CliRun> ArrangeAsync(TallyServer server)
    {
        var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        var client = server.NewClient();
        foreach (var id in new[] { "ada", "bob" })
        {
            await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = id });
        }
        await client.Billing.AttachAsync(new AttachParams { CustomerId = "ada", PlanId = "pro" });
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "100")).Code);
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "30.5")).Code);
        return cli;
    }

    [Fact]
    public async Task ExportUsage_Csv_RowPerMonthWithUsageIncludedAndOverage()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var export = await cli.RunAsync("export", "usage", "--from", From, "--to", To);

        Assert.True(export.Code == 0, export.ToString());
        var lines = export.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("customer_id,feature_id,period_start,period_end,usage,included,overage", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("ada,messages,", l, StringComparison.Ordinal));
        Assert.InRange(lines.Length - 1, 2, 4);
        var used = Assert.Single(lines.Skip(1), l => !l.EndsWith(",0,100,0", StringComparison.Ordinal));
        Assert.EndsWith(",130.5,100,30.5", used, StringComparison.Ordinal);
        Assert.Contains($"Exported {lines.Length - 1} row(s) for 2 customer(s).", export.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportUsage_JsonForOneCustomer_IsOneObjectPerRow()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var export = await cli.RunAsync("export", "usage", "--from", From, "--to", To, "--format", "json", "--customer", "ada");

        Assert.True(export.Code == 0, export.ToString());
        var rows = export.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var used = Assert.Single(rows, r => r.GetProperty("usage").GetDecimal() != 0);
        Assert.Equal(130.5m, used.GetProperty("usage").GetDecimal());
        Assert.Equal(100m, used.GetProperty("included").GetDecimal());
        Assert.Equal(30.5m, used.GetProperty("overage").GetDecimal());
        Assert.True(used.GetProperty("period_start").GetInt64() <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task ExportUsage_ToBeforeFrom_IsRefusedByTheServerNamingTo()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var export = await cli.RunAsync("export", "usage", "--from", "2026-02-01", "--to", "2026-01-01");

        Assert.Equal(1, export.Code);
        Assert.Contains("invalid_inputs", export.Err, StringComparison.Ordinal);
        Assert.Contains("to:", export.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportUsage_UnknownCustomer_IsNotFound_BadDate_IsAUsageError()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var unknown = await cli.RunAsync("export", "usage", "--from", "2026-01-01", "--to", "2026-02-01", "--customer", "nobody");
        var badDate = await cli.RunAsync("export", "usage", "--from", "last tuesday", "--to", "2026-02-01");

        Assert.Equal(1, unknown.Code);
        Assert.Contains("customer_not_found", unknown.Err, StringComparison.Ordinal);
        Assert.Equal(2, badDate.Code);
        Assert.Contains("--from", badDate.Err, StringComparison.Ordinal);
    }
}
