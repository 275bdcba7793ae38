namespace Tally.Cli.Tests;

/// <summary>Push updates in place: features, archived entries, entries only on the server, fields the server does not store.</summary>
public sealed class PushUpdateTests
{
    private const string Catalog = """
        features:
          - feature_id: messages
            name: Messages
            type: metered
            consumable: true
        plans:
          - plan_id: pro
            name: Pro
            items:
              - feature_id: messages
                included: 10
        """;

    [Fact]
    public async Task Push_ChangedFeature_IsUpdatedInPlace_ThenUnchanged()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);

        var edited = Catalog.Replace("    consumable: true\n", "    consumable: true\n    event_names: [sent]\n    display: { singular: msg, plural: msgs }\n");
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), edited);
        var push = await cli.RunAsync("push", "--yes");
        Assert.True(push.Code == 0, push.ToString());
        Assert.Contains("~ update    feature messages", push.Out, StringComparison.Ordinal);
        Assert.Contains("event_names: [] → [\"sent\"]", push.Out, StringComparison.Ordinal);
        Assert.Contains("= unchanged plan pro", push.Out, StringComparison.Ordinal);
        var feature = await server.NewClient().Features.GetAsync(new GetFeatureParams { FeatureId = "messages" });
        Assert.Equal(["sent"], feature.EventNames!);
        Assert.Equal("msgs", feature.Display!.Plural);

        // Taking the display and event names out of the file clears them on the server.
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        Assert.Contains("No changes", (await cli.RunAsync("push", "--yes")).Out, StringComparison.Ordinal);
        feature = await server.NewClient().Features.GetAsync(new GetFeatureParams { FeatureId = "messages" });
        Assert.Empty(feature.EventNames ?? []);
    }

    [Fact]
    public async Task Push_ArchivedPlanInTheFile_IsUnarchived_AndServerOnlyEntriesAreLeftAlone()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        var client = server.NewClient();
        await client.Plans.UpdateAsync(new UpdatePlanParams { PlanId = "pro", Archived = true });
        await client.Features.CreateAsync(new CreateFeatureParams { FeatureId = "legacy", Name = "Legacy", Type = "boolean" });

        var push = await cli.RunAsync("push", "--yes");

        Assert.True(push.Code == 0, push.ToString());
        Assert.Contains("archived on the server: unarchive", push.Out, StringComparison.Ordinal);
        Assert.Contains("? not in file feature legacy (left alone)", push.Out, StringComparison.Ordinal);
        Assert.False((await client.Plans.GetAsync(new GetPlanParams { PlanId = "pro" })).Archived);
        Assert.Contains("legacy", (await client.Features.ListAsync()).List.Select(f => f.Id));
    }

    [Fact]
    public async Task Push_FieldTheServerRefuses_ExitsOne_NamingIt()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog + "\n        proration: { on_increase: prorate }\n");

        var push = await cli.RunAsync("push", "--yes");

        // The server refuses fields it cannot honour rather than dropping them, so the push stops with its error.
        Assert.True(push.Code == 1, push.ToString());
        Assert.Contains("proration: not supported by Tally", push.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_ChangedFreeTrial_IsAppliedInPlace_ThenUnchanged()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        var withTrial = Catalog.Replace("    name: Pro\n", "    name: Pro\n    free_trial: { duration_length: 7, duration_type: day }\n");
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), withTrial);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), withTrial.Replace("duration_length: 7", "duration_length: 14"));

        var push = await cli.RunAsync("push", "--yes");
        var again = await cli.RunAsync("push", "--yes");

        Assert.True(push.Code == 0, push.ToString());
        Assert.Contains("~ update    plan pro", push.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("not applied", push.ToString(), StringComparison.Ordinal);
        var plan = await server.NewClient().Plans.GetAsync(new GetPlanParams { PlanId = "pro" });
        Assert.Equal(14, plan.FreeTrial!.DurationLength);
        Assert.Equal(1, plan.Version);
        Assert.True(again.Code == 0, again.ToString());
        Assert.Contains("No changes", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_FreeTrialAddedToAPlanWithout_IsApplied()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"),
            Catalog.Replace("    name: Pro\n", "    name: Pro\n    free_trial: { duration_length: 1, duration_type: month, card_required: true }\n"));

        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);

        var trial = (await server.NewClient().Plans.GetAsync(new GetPlanParams { PlanId = "pro" })).FreeTrial!;
        Assert.Equal(1, trial.DurationLength);
        Assert.Equal("month", trial.DurationType);
        Assert.True(trial.CardRequired);
        Assert.Contains("No changes", (await cli.RunAsync("push", "--yes")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_FreeTrialAndPriceTakenOutOfTheFile_AreRemoved_ThenUnchanged()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        var full = Catalog.Replace("    name: Pro\n",
            "    name: Pro\n    price: { amount: 10, interval: month }\n    free_trial: { duration_length: 7, duration_type: day }\n");
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), full);
        Assert.Equal(0, (await cli.RunAsync("push", "--yes")).Code);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog);

        var push = await cli.RunAsync("push", "--yes");

        Assert.True(push.Code == 0, push.ToString());
        Assert.DoesNotContain("not applied", push.ToString(), StringComparison.Ordinal);
        var plan = await server.NewClient().Plans.GetAsync(new GetPlanParams { PlanId = "pro" });
        Assert.Null(plan.FreeTrial);
        Assert.Null(plan.Price);
        Assert.Contains("No changes", (await cli.RunAsync("push", "--yes")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_PlanBillingControls_AreAppliedPulledBackAndRemovedPerKey()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        const string Controls = "    billing_controls:\n"
            + "      usage_limits: [{ feature_id: messages, enabled: true, limit: 5, interval: day, anchor: utc }]\n"
            + "      overage_allowed: [{ feature_id: messages, enabled: true }]\n";
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog.Replace("    name: Pro\n", "    name: Pro\n" + Controls));

        var push = await cli.RunAsync("push", "--yes");
        var again = await cli.RunAsync("push", "--yes");
        var pull = await cli.RunAsync("pull", "pulled.yaml", "--yes");
        var pulled = await File.ReadAllTextAsync(cli.PathOf("pulled.yaml"));
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), Catalog.Replace("    name: Pro\n",
            "    name: Pro\n    billing_controls:\n      overage_allowed: [{ feature_id: messages, enabled: true }]\n"));
        var removeOne = await cli.RunAsync("push", "--yes");
        var plan = await server.NewClient().Plans.GetAsync(new GetPlanParams { PlanId = "pro" });

        Assert.True(push.Code == 0, push.ToString());
        Assert.DoesNotContain("billing_controls is accepted by the API but not stored", push.ToString(), StringComparison.Ordinal);
        Assert.Contains("No changes", again.Out, StringComparison.Ordinal);
        Assert.True(pull.Code == 0, pull.ToString());
        Assert.Contains("usage_limits", pulled, StringComparison.Ordinal);
        Assert.True(removeOne.Code == 0, removeOne.ToString());
        Assert.Contains("~ update    plan pro", removeOne.Out, StringComparison.Ordinal);
        Assert.False(plan.BillingControls!.ContainsKey("usage_limits"));
        Assert.True(plan.BillingControls.ContainsKey("overage_allowed"));
        Assert.Equal(1, plan.Version);
    }
}
