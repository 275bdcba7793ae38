using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>tally usage against a real server: usage tracked at known times comes back as bars and as JSON.</summary>
public sealed class UsageTests
{
    private const string Catalog = """
        features:
          - { feature_id: messages, name: Messages, type: metered, consumable: true }
          - { feature_id: seats, name: Seats, type: metered, consumable: false }
        plans:
          - plan_id: pro
            name: Pro
            items:
              - { feature_id: messages, included: 100000, reset: { interval: month } }
              - { feature_id: seats, included: 5 }
        """;

    private static async Task<CliRun> ArrangeAsync(TallyServer server)
    {
        var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        var client = server.NewClient();
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "ada" });
        await client.Billing.AttachAsync(new AttachParams { CustomerId = "ada", PlanId = "pro" });
        return cli;
    }

    private static Task TrackAtAsync(TallyServer server, DateTimeOffset at, decimal value, string? entity = null) =>
        server.NewClient().Balances.TrackAsync(new TrackParams
        {
            CustomerId = "ada",
            FeatureId = "messages",
            Value = value,
            EntityId = entity,
            Timestamp = at.ToUnixTimeMilliseconds(),
        });

    /// <summary>The chart line of one period: label, bar and value.</summary>
    private static (string Bar, string Value) Row(string output, string label)
    {
        var line = Assert.Single(output.Split('\n'), l => l.StartsWith(label + " ", StringComparison.Ordinal));
        var afterLabel = line[(line.IndexOf('│', StringComparison.Ordinal) + 1)..];
        return (afterLabel.TrimEnd().TrimEnd("0123456789,.".ToCharArray()).Trim(), afterLabel.Trim().Split(' ')[^1]);
    }

    [Fact]
    public async Task Usage_Range7dByDay_DrawsOneBarPerDayScaledToTheLargestWithThousandsSeparators()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);
        var now = DateTimeOffset.UtcNow;
        var twoDaysAgo = now.AddDays(-2);
        var fourDaysAgo = now.AddDays(-4);
        await TrackAtAsync(server, twoDaysAgo, 1200);
        await TrackAtAsync(server, twoDaysAgo, 34.5m);
        await TrackAtAsync(server, fourDaysAgo, 617.25m);

        var usage = await cli.RunAsync("usage", "--customer", "ada", "--feature", "messages", "--range", "7d", "--bin-size", "day");

        Assert.True(usage.Code == 0, usage.ToString());
        var big = Row(usage.Out, twoDaysAgo.UtcDateTime.ToString("yyyy-MM-dd"));
        Assert.Equal("1,234.5", big.Value);
        Assert.Equal(new string('█', 40), big.Bar);
        var half = Row(usage.Out, fourDaysAgo.UtcDateTime.ToString("yyyy-MM-dd"));
        Assert.Equal("617.25", half.Value);
        Assert.Equal(new string('█', 20), half.Bar);
        var empty = Row(usage.Out, now.AddDays(-3).UtcDateTime.ToString("yyyy-MM-dd"));
        Assert.Equal("0", empty.Value);
        Assert.Equal("", empty.Bar);
        Assert.Contains("Total messages: 1,851.75 in 3 event(s).", usage.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_24hDefaultsToHourBinsAndEntityFilters()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);
        var threeHoursAgo = DateTimeOffset.UtcNow.AddHours(-3);
        await server.NewClient().Entities.CreateAsync(new CreateEntityParams { CustomerId = "ada", EntityId = "ws1", FeatureId = "seats" });
        await TrackAtAsync(server, threeHoursAgo, 5, entity: "ws1");
        await TrackAtAsync(server, threeHoursAgo, 7);
        var label = threeHoursAgo.UtcDateTime.ToString("yyyy-MM-dd HH:00");

        var all = await cli.RunAsync("usage", "--customer", "ada", "--feature", "messages", "--range", "24h");
        var ws1 = await cli.RunAsync("usage", "--customer", "ada", "--feature", "messages", "--range", "24h", "--entity", "ws1");

        Assert.True(all.Code == 0, all.ToString());
        Assert.Equal("12", Row(all.Out, label).Value);
        Assert.True(ws1.Code == 0, ws1.ToString());
        Assert.Equal("5", Row(ws1.Out, label).Value);
    }

    [Fact]
    public async Task Usage_Json_IsTheRawAggregateAnswer()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        await TrackAtAsync(server, at, 42);

        var usage = await cli.RunAsync("--json", "usage", "--customer", "ada", "--feature", "messages", "--range", "30d");

        Assert.True(usage.Code == 0, usage.ToString());
        using var doc = JsonDocument.Parse(usage.Out);
        var periods = doc.RootElement.GetProperty("list").EnumerateArray().ToList();
        Assert.InRange(periods.Count, 30, 31);
        var dayStart = new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var day = Assert.Single(periods, p => p.GetProperty("period").GetInt64() == dayStart);
        Assert.Equal(42m, day.GetProperty("values").GetProperty("messages").GetDecimal());
        Assert.Equal(1, doc.RootElement.GetProperty("total").GetProperty("messages").GetProperty("count").GetInt64());
        Assert.Equal(42m, doc.RootElement.GetProperty("total").GetProperty("messages").GetProperty("sum").GetDecimal());
    }

    [Theory]
    [InlineData("--range", "12d")]
    [InlineData("--bin-size", "minute")]
    public async Task Usage_BadRangeOrBinSize_IsAUsageErrorWithoutCallingTheServer(string option, string value)
    {
        using var cli = new CliRun();

        var usage = await cli.RunAsync("usage", "--customer", "ada", "--feature", "messages", option, value);

        Assert.Equal(2, usage.Code);
        Assert.Contains(value, usage.Err, StringComparison.Ordinal);
        Assert.Equal("", usage.Out);
    }

    [Fact]
    public async Task Usage_UnknownCustomer_ExitsOneWithTheServersCode()
    {
        await using var server = new TallyServer();
        using var cli = await ArrangeAsync(server);

        var usage = await cli.RunAsync("usage", "--customer", "nobody", "--feature", "messages");

        Assert.Equal(1, usage.Code);
        Assert.Contains("customer_not_found", usage.Err, StringComparison.Ordinal);
    }
}
