using QuickstartSample;

namespace Tally.Client.Tests;

[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture;

/// <summary>The README quickstart, compiled as written, run against the in-process server.</summary>
[Collection(nameof(ConsoleCapture))]
public sealed class QuickstartTests
{
    [Fact]
    public async Task Quickstart_AsWritten_RunsAndPrints404CustomerNotFound()
    {
        await using var server = new TallyServer();
        var setup = server.NewClient(o => o.SecretKey = TallyServer.QuickstartKey);
        await setup.Features.CreateAsync(new CreateFeatureParams { FeatureId = "messages", Name = "Messages", Type = "metered", Consumable = true });
        await setup.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = "pro",
            Name = "Pro",
            Items = [new PlanItem { FeatureId = "messages", Included = 100, Reset = new PlanItemReset { Interval = "month" } }],
        });
        await setup.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = "c1" });
        await setup.Billing.AttachAsync(new AttachParams { CustomerId = "c1", PlanId = "pro" });

        // The snippet builds its own client for http://127.0.0.1:5080; route that client into the in-process server.
        TallyClient.DefaultHandlerOverride.Value = () => server.Server.CreateHandler();
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            await Quickstart.RunAsync();
        }
        finally
        {
            Console.SetOut(original);
            TallyClient.DefaultHandlerOverride.Value = null;
        }

        Assert.Contains("404 customer_not_found", output.ToString(), StringComparison.Ordinal);
        var customer = await setup.Customers.GetAsync(new GetCustomerParams { CustomerId = "c1" });
        Assert.Equal(100m, customer.Balances["messages"].Granted);
        Assert.Equal(10m, customer.Balances["messages"].Remaining);
        var events = await setup.Events.ListAsync(new ListEventsParams { CustomerId = "c1" });
        Assert.Equal(3m, Assert.Single(events.List).Value);
    }

    [Fact]
    public void Readme_QuickstartSection_ShowsTheCompiledQuickstartVerbatim()
    {
        var root = RepoRoot();
        var source = File.ReadAllText(Path.Combine(root, "tests", "Tally.Client.Tests", "Quickstart.cs"));
        var start = source.IndexOf("#region quickstart", StringComparison.Ordinal);
        var end = source.IndexOf("#endregion", StringComparison.Ordinal);
        var lines = source[start..end].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).Split('\n').Select(l => l.Trim()).ToList();

        var first = readme.IndexOf(lines[0]);
        Assert.True(first >= 0, "README.md lacks the quickstart's first line: " + lines[0]);
        Assert.Equal(lines, readme.Skip(first).Take(lines.Count));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Tally.slnx not found above " + AppContext.BaseDirectory);
    }
}
