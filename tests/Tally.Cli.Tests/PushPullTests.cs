using System.Text.Json;

namespace Tally.Cli.Tests;

/// <summary>Catalog as code: init, push and pull against a real server.</summary>
public sealed class PushPullTests
{
    private const string Catalog = """
        features:
          - feature_id: messages
            name: Messages
            type: metered
            consumable: true
          - feature_id: seats
            name: Seats
            type: metered
            consumable: false
        plans:
          - plan_id: pro
            name: Pro
            price: { amount: 20, interval: month }
            items:
              - feature_id: messages
                included: 1000
                reset: { interval: month }
              - feature_id: seats
                included: 5
        """;

    [Fact]
    public async Task Init_WritesAnExample_ThatPushCreatesAndASecondPushLeavesUnchanged()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var init = await cli.RunAsync("init");
        Assert.True(init.Code == 0, init.ToString());
        Assert.StartsWith("# Tally catalog as code", await File.ReadAllTextAsync(cli.PathOf("tally.yaml")), StringComparison.Ordinal);

        var push = await cli.RunAsync("push", "--yes");
        Assert.True(push.Code == 0, push.ToString());
        Assert.Contains("+ create    feature messages", push.Out, StringComparison.Ordinal);
        Assert.Contains("+ create    plan pro", push.Out, StringComparison.Ordinal);
        Assert.Contains("plan pro: created (version 1)", push.Out, StringComparison.Ordinal);

        var client = server.NewClient();
        var features = await client.Features.ListAsync();
        Assert.Equal(["messages", "seats", "sso"], features.List.Select(f => f.Id).Order(StringComparer.Ordinal));
        var pro = await client.Plans.GetAsync(new GetPlanParams { PlanId = "pro" });
        Assert.Equal(1000m, pro.Items.Single(i => i.FeatureId == "messages").Included);
        Assert.Equal(100m, pro.Items.Single(i => i.FeatureId == "messages").Price!.BillingUnits);

        var again = await cli.RunAsync("push", "--yes");
        Assert.True(again.Code == 0, again.ToString());
        Assert.Contains("No changes", again.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("✓", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_PriceOrItemsOfAPlanCustomersHold_MakesANewVersion_AndOtherEditsStayInPlace()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);

        // Nobody holds pro yet: a name change and an item change are made in place.
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog.Replace("name: Pro", "name: Pro plan").Replace("included: 5", "included: 6"));
        var inPlace = await cli.RunAsync("push", "--yes");
        Assert.True(inPlace.Code == 0, inPlace.ToString());
        Assert.Contains("name: \"Pro\" → \"Pro plan\"", inPlace.Out, StringComparison.Ordinal);
        Assert.Contains("items[seats].included: 5 → 6", inPlace.Out, StringComparison.Ordinal);
        Assert.Contains("plan pro: updated version 1 in place", inPlace.Out, StringComparison.Ordinal);

        var client = server.NewClient();
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "c1" });
        await client.Billing.AttachAsync(new AttachParams { CustomerId = "c1", PlanId = "pro" });

        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"),
            Catalog.Replace("name: Pro", "name: Pro plan").Replace("included: 5", "included: 6").Replace("included: 1000", "included: 2000"));
        var versioned = await cli.RunAsync("push", "--yes");
        Assert.True(versioned.Code == 0, versioned.ToString());
        Assert.Contains("items[messages (month)].included: 1000 → 2000", versioned.Out, StringComparison.Ordinal);
        Assert.Contains("plan pro: new version 2 (customers on version 1 keep it)", versioned.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await client.Plans.GetAsync(new GetPlanParams { PlanId = "pro" })).Version);
        var customer = await client.Customers.GetAsync(new GetCustomerParams { CustomerId = "c1" });
        Assert.Equal(1000m, customer.Balances["messages"].Granted);

        Assert.Contains("No changes", (await cli.RunAsync("push", "--yes")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_ThenPush_ReportsNoChanges_ForACatalogMadeThroughTheApi()
    {
        await using var server = new TallyServer();
        var client = server.NewClient();
        await client.Features.CreateAsync(new CreateFeatureParams
        {
            FeatureId = "messages",
            Name = "Messages",
            Type = "metered",
            Consumable = true,
            EventNames = ["sent", "1234"],
            Display = new FeatureDisplay { Singular = "message", Plural = "messages" },
        });
        await client.Features.CreateAsync(new CreateFeatureParams { FeatureId = "seats", Name = "Seats", Type = "metered", Consumable = false });
        await client.Features.CreateAsync(new CreateFeatureParams { FeatureId = "sso", Name = "SSO", Type = "boolean" });
        await client.Features.CreateAsync(new CreateFeatureParams
        {
            FeatureId = "credits",
            Name = "Credits",
            Type = "credit_system",
            CreditSchema = [new CreditSchemaItem { MeteredFeatureId = "messages", CreditCost = 2.50m }],
        });
        using var metadata = JsonDocument.Parse("""{"tier":"gold","rank":3,"flags":{"beta":true}}""");
        await client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = "team",
            Name = "Team",
            Description = "For teams",
            Group = "main",
            AutoEnable = false,
            Price = new PlanPrice { Amount = 49.90m, Interval = "month" },
            FreeTrial = new FreeTrial { DurationLength = 14, DurationType = "day", CardRequired = false },
            Metadata = metadata.RootElement.Clone(),
            Items =
            [
                new PlanItem
                {
                    FeatureId = "messages", Included = 500, Reset = new PlanItemReset { Interval = "month" },
                    Rollover = new PlanItemRollover { Max = 100, ExpiryDurationType = "month", ExpiryDurationLength = 2 },
                    Price = new PlanItemPrice
                    {
                        Interval = "month", BillingMethod = "usage_based", TierBehavior = "graduated",
                        Tiers =
                        [
                            new PriceTier { To = JsonSerializer.SerializeToElement(1000m), Amount = 0.01m },
                            new PriceTier { To = JsonSerializer.SerializeToElement("inf"), Amount = 0.005m },
                        ],
                    },
                },
                new PlanItem { FeatureId = "seats", Unlimited = true },
                new PlanItem { FeatureId = "sso" },
                new PlanItem { FeatureId = "credits", Included = 1000, Reset = new PlanItemReset { Interval = "week", IntervalCount = 2 } },
            ],
        });
        await client.Plans.CreateAsync(new CreatePlanParams { PlanId = "extra", Name = "Extra seats", AddOn = true, Items = [new PlanItem { FeatureId = "seats", Included = 10 }] });
        using var cli = new CliRun(server);

        var pull = await cli.RunAsync("pull", "--yes");
        Assert.True(pull.Code == 0, pull.ToString());
        var text = await File.ReadAllTextAsync(cli.PathOf("tally.yaml"));
        Assert.Contains("feature_id: credits", text, StringComparison.Ordinal);
        Assert.Contains("\"1234\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("interval_count: 1", text, StringComparison.Ordinal);

        var push = await cli.RunAsync("push");
        Assert.True(push.Code == 0, push.ToString());
        Assert.Contains("No changes", push.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("~ update", push.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_Declined_AppliesNothing_AndClosedStdinIsAUsageError()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);

        var declined = await cli.RunWithInputAsync("n\n", "push");
        Assert.True(declined.Code == 0, declined.ToString());
        Assert.Contains("Apply 3 change(s)? [y/N]", declined.Err, StringComparison.Ordinal);
        Assert.Contains("Nothing applied.", declined.Err, StringComparison.Ordinal);

        var noAnswer = await cli.RunWithInputAsync("", "push");
        Assert.True(noAnswer.Code == 2, noAnswer.ToString());
        Assert.Contains("pass --yes", noAnswer.Err, StringComparison.Ordinal);

        var client = server.NewClient();
        Assert.Empty((await client.Features.ListAsync()).List);
        Assert.Empty((await client.Plans.ListAsync()).List);

        var accepted = await cli.RunWithInputAsync("y\n", "push");
        Assert.True(accepted.Code == 0, accepted.ToString());
        Assert.Equal(2, (await client.Features.ListAsync()).List.Count);
    }

    [Fact]
    public async Task Pull_OverAnExistingFile_AsksFirst()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("mine.yaml"), "# keep me\n");

        var declined = await cli.RunWithInputAsync("n\n", "pull", "mine.yaml");
        Assert.True(declined.Code == 0, declined.ToString());
        Assert.Equal("# keep me\n", await File.ReadAllTextAsync(cli.PathOf("mine.yaml")));

        var accepted = await cli.RunWithInputAsync("y\n", "pull", "mine.yaml");
        Assert.True(accepted.Code == 0, accepted.ToString());
        Assert.Contains("features: []", await File.ReadAllTextAsync(cli.PathOf("mine.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_Json_PrintsTheChangesAndTheServerAnswers()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("catalog.yaml"), Catalog);

        var push = await cli.RunAsync("push", "catalog.yaml", "--yes", "--json");
        Assert.True(push.Code == 0, push.ToString());
        using var doc = JsonDocument.Parse(push.Out);
        Assert.True(doc.RootElement.GetProperty("applied").GetBoolean());
        Assert.Equal(3, doc.RootElement.GetProperty("changes").GetArrayLength());
        Assert.All(doc.RootElement.GetProperty("changes").EnumerateArray(), c => Assert.Equal("create", c.GetProperty("action").GetString()));
        Assert.Equal("pro", doc.RootElement.GetProperty("results")[2].GetProperty("id").GetString());
    }
}
