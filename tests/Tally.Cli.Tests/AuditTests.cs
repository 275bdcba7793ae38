using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Tally.Cli.Tests;

/// <summary>tally audit against a real server: a clean ledger passes, a tampered balance is named and fails the run.</summary>
public sealed class AuditTests
{
    private const string Catalog = """
        features:
          - { feature_id: messages, name: Messages, type: metered, consumable: true }
          - { feature_id: seats, name: Seats, type: metered, consumable: false }
        plans:
          - plan_id: pro
            name: Pro
            items:
              - { feature_id: messages, included: 100, reset: { interval: month } }
              - { feature_id: seats, included: 5 }
        """;

    private static async Task<CliRun> ArrangeAsync(TallyServer server, params string[] customers)
    {
        var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        var client = server.NewClient();
        foreach (var id in customers)
        {
            await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = id });
            await client.Billing.AttachAsync(new AttachParams { CustomerId = id, PlanId = "pro" });
        }
        return cli;
    }

    private static async Task TamperAsync(TallyServer server, string customerId, string featureId, string balance)
    {
        await using var db = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
        await db.OpenAsync();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "UPDATE balance_sources SET balance = $b WHERE customer_id = $c AND feature_id = $f";
        cmd.Parameters.AddWithValue("$b", balance);
        cmd.Parameters.AddWithValue("$c", customerId);
        cmd.Parameters.AddWithValue("$f", featureId);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task Audit_AfterTracksAndAnUpdate_FindsNoDifferenceAndExitsZero()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server, "ada", "bob");
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "30")).Code);
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "0.25")).Code);
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "bob", "--feature", "seats", "--value", "2")).Code);
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "bob", "--feature", "messages", "--value", "150")).Code);
        await server.NewClient().Balances.UpdateAsync(new UpdateBalanceParams { CustomerId = "bob", FeatureId = "seats", Remaining = 1 });

        var audit = await cli.RunAsync("audit");

        Assert.True(audit.Code == 0, audit.ToString());
        Assert.Contains("Audited 2 customer(s)", audit.Out, StringComparison.Ordinal);
        Assert.Contains(": 0 difference(s).", audit.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("DIFF", audit.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_TamperedBalance_NamesCustomerFeatureAndBothValuesAndExitsOne()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server, "ada", "bob");
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "ada", "--feature", "messages", "--value", "30")).Code);
        await TamperAsync(server, "ada", "messages", "12345");

        var audit = await cli.RunAsync("audit");

        Assert.True(audit.Code == 1, audit.ToString());
        var diff = Assert.Single(audit.Out.Split('\n'), l => l.StartsWith("DIFF", StringComparison.Ordinal));
        Assert.Contains("customer=ada feature=messages", diff, StringComparison.Ordinal);
        Assert.Contains("stored=12345 ledger=70", diff, StringComparison.Ordinal);
        Assert.Contains(": 1 difference(s).", audit.Out, StringComparison.Ordinal);

        var onlyBob = await cli.RunAsync("audit", "--customer", "bob");
        Assert.True(onlyBob.Code == 0, onlyBob.ToString());
        Assert.Contains("Audited 1 customer(s)", onlyBob.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_Json_IsNdjsonEndingWithDone()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server, "ada");
        await TamperAsync(server, "ada", "seats", "4");

        var audit = await cli.RunAsync("audit", "--customer", "ada", "--json");

        Assert.Equal(1, audit.Code);
        var lines = audit.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("difference", lines[0].GetProperty("type").GetString());
        Assert.Equal("seats", lines[0].GetProperty("feature_id").GetString());
        Assert.Equal(4m, lines[0].GetProperty("stored").GetDecimal());
        Assert.Equal(5m, lines[0].GetProperty("ledger").GetDecimal());
        Assert.Equal("done", lines[1].GetProperty("type").GetString());
        Assert.Equal(1, lines[1].GetProperty("differences").GetInt64());
    }

    [Fact]
    public async Task Audit_UnknownCustomer_ExitsOneWithCustomerNotFound()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var audit = await cli.RunAsync("audit", "--customer", "nobody");

        Assert.Equal(1, audit.Code);
        Assert.Contains("customer_not_found", audit.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_MoreCustomersThanABatch_ReportsProgressAndCountsEveryone()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        var client = server.NewClient();
        var ids = Enumerable.Range(0, 520).Select(i => $"c{i:D4}").ToList();
        foreach (var chunk in ids.Chunk(20))
        {
            await Task.WhenAll(chunk.Select(id => client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = id })));
        }

        var audit = await cli.RunAsync("audit");

        Assert.True(audit.Code == 0, audit.ToString());
        Assert.Contains("… 500 customers audited", audit.Err, StringComparison.Ordinal);
        Assert.Contains("Audited 520 customer(s)", audit.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_TamperedUsageRollupHour_NamesHourFeatureAndBothSumsAndExitsOne()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server, "ada", "bob");
        var at = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-1).AddHours(13).AddMinutes(7), TimeSpan.Zero);
        var client = server.NewClient();
        foreach (var value in new[] { 3m, 4.5m })
        {
            await client.Balances.TrackAsync(new TrackParams { CustomerId = "ada", FeatureId = "messages", Value = value, Timestamp = at.ToUnixTimeMilliseconds() });
        }
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "bob", "--feature", "messages", "--value", "2")).Code);
        var clean = await cli.RunAsync("audit");
        Assert.True(clean.Code == 0, clean.ToString());
        Assert.Contains("2 usage rollup hour(s): 0 difference(s).", clean.Out, StringComparison.Ordinal);

        await using (var db = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False"))
        {
            await db.OpenAsync();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE usage_hourly SET sum = 750, count = 3 WHERE customer_id = 'ada' AND feature_id = 'messages'";
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        var audit = await cli.RunAsync("audit");
        var json = await cli.RunAsync("audit", "--customer", "ada", "--json");

        Assert.True(audit.Code == 1, audit.ToString());
        var diff = Assert.Single(audit.Out.Split('\n'), l => l.StartsWith("ROLLUP", StringComparison.Ordinal));
        Assert.Equal($"ROLLUP customer=ada feature=messages hour={at:yyyy-MM-dd}T13:00Z stored=750 (3 event(s)) ledger=7.5 (2 event(s))", diff);
        Assert.DoesNotContain("DIFF", audit.Out, StringComparison.Ordinal);
        Assert.Contains(": 1 difference(s).", audit.Out, StringComparison.Ordinal);
        Assert.Equal(1, json.Code);
        var line = JsonDocument.Parse(json.Out.Split('\n')[0]).RootElement;
        Assert.Equal("rollup_difference", line.GetProperty("type").GetString());
        Assert.Equal(new DateTimeOffset(at.Date.AddHours(13), TimeSpan.Zero).ToUnixTimeMilliseconds(), line.GetProperty("hour").GetInt64());
        Assert.Equal(750m, line.GetProperty("stored").GetDecimal());
        Assert.Equal(7.5m, line.GetProperty("ledger").GetDecimal());
        Assert.Equal(3, line.GetProperty("stored_count").GetInt64());
        Assert.Equal(2, line.GetProperty("ledger_count").GetInt64());
    }
}
