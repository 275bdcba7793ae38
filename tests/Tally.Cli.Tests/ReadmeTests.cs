namespace Tally.Cli.Tests;

/// <summary>The README's tally.yaml example is a file push accepts, the flow after it runs, and a second push finds unchanged.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public async Task ReadmeExample_PushesAndThenReportsNoChanges()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "README.md"));
        var section = readme[readme.IndexOf("## The tally CLI", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        await File.WriteAllTextAsync(cli.PathOf("tally.yaml"), yaml);

        var push = await cli.RunAsync("push", "--yes");
        Assert.True(push.Code == 0, push.ToString());
        Assert.Contains("plan pro: created (version 1)", push.Out, StringComparison.Ordinal);

        var client = server.NewClient();
        await client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "u1" });
        await client.Billing.AttachAsync(new AttachParams { CustomerId = "u1", PlanId = "pro" });
        Assert.Equal(0, (await cli.RunAsync("track", "--customer", "u1", "--feature", "messages", "--value", "30")).Code);
        var get = await cli.RunAsync("customers", "get", "u1");
        Assert.Matches(@"│ messages\s+│\s+1000 │\s+970 │\s+30 │", get.Out);
        Assert.Contains("Flags: sso", get.Out, StringComparison.Ordinal);
        var usage = await cli.RunAsync("usage", "--customer", "u1", "--feature", "messages", "--range", "7d");
        Assert.True(usage.Code == 0, usage.ToString());
        Assert.Contains("Total messages: 30 in 1 event(s).", usage.Out, StringComparison.Ordinal);
        var audit = await cli.RunAsync("audit");
        Assert.True(audit.Code == 0, audit.ToString());
        Assert.Contains(": 0 difference(s).", audit.Out, StringComparison.Ordinal);

        Assert.Contains("No changes", (await cli.RunAsync("push")).Out, StringComparison.Ordinal);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Tally.slnx not found above the test directory");
    }
}
