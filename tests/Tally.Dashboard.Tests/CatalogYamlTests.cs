using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Tally.CatalogFile;
using Tally.Cli;
using Tally.Cli.Catalog;
using Tally.Contracts;

namespace Tally.Dashboard.Tests;

/// <summary>The catalog page's tally.yaml against the CLI's own <c>tally pull</c> of the same server.</summary>
public sealed class CatalogYamlTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    /// <summary>A catalog that exercises the writer: display names, credit schemas, tiers, rollovers, metadata, an archived feature.</summary>
    private async Task CatalogAsync()
    {
        await server.ApiAsync("features.create",
            """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true,"event_names":["sent","1234"],"display":{"singular":"message","plural":"messages"}}""");
        await server.ApiAsync("features.create", """{"feature_id":"seats","name":"Seats","type":"metered","consumable":false}""");
        await server.ApiAsync("features.create", """{"feature_id":"sso","name":"SSO: single sign-on","type":"boolean"}""");
        await server.ApiAsync("features.create",
            """{"feature_id":"credits","name":"Credits","type":"credit_system","credit_schema":[{"metered_feature_id":"messages","credit_cost":2.50}]}""");
        await server.ApiAsync("features.create", """{"feature_id":"legacy","name":"Legacy","type":"boolean"}""");
        await server.ApiAsync("features.update", """{"feature_id":"legacy","archived":true}""");
        await server.ApiAsync("plans.create", """
            {"plan_id":"team","name":"Team","description":"For teams","group":"main","price":{"amount":49.90,"interval":"month"},
             "free_trial":{"duration_length":14,"duration_type":"day","card_required":false},
             "metadata":{"tier":"gold","rank":3,"flags":{"beta":true}},
             "items":[{"feature_id":"messages","included":500,"reset":{"interval":"month"},
                       "rollover":{"max":100,"expiry_duration_type":"month","expiry_duration_length":2},
                       "price":{"interval":"month","billing_method":"usage_based","tier_behavior":"graduated",
                                "tiers":[{"to":1000,"amount":0.01},{"to":"inf","amount":0.005}]}},
                      {"feature_id":"seats","unlimited":true},{"feature_id":"sso"},
                      {"feature_id":"credits","included":1000,"reset":{"interval":"week","interval_count":2}}]}
            """);
        await server.ApiAsync("plans.create", """{"plan_id":"extra","name":"Extra seats","add_on":true,"items":[{"feature_id":"seats","included":10}]}""");
    }

    private async Task<string> PullAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tally-dash-pull-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var env = new Dictionary<string, string> { ["TALLY_URL"] = server.Url, ["TALLY_SECRET_KEY"] = DashboardServer.SandboxKey };
            var output = new StringWriter();
            var error = new StringWriter();
            var io = new CliIo(output, error, new StringReader("")) { Environment = env.GetValueOrDefault, WorkingDirectory = dir, MaxRetries = 0 };
            var code = await Cli.Cli.RunAsync(["pull", "--yes"], io);
            Assert.True(code == 0, $"tally pull exited {code}: {output}{error}");
            return await File.ReadAllTextAsync(Path.Combine(dir, "tally.yaml"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task CatalogPage_Yaml_IsWhatTallyPullWritesAndReadsBackToTheSameCatalog()
    {
        await CatalogAsync();
        var pulled = await PullAsync();

        var page = await server.SignedInPageAsync();
        await page.ClickAsync("nav a[href='/dashboard/catalog']");
        await page.WaitForURLAsync(server.Url + "/dashboard/catalog", new PageWaitForURLOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        var shown = await page.Locator("pre#tally-yaml").TextContentAsync();
        Assert.Equal(pulled, shown);
        Assert.DoesNotContain("legacy", shown, StringComparison.Ordinal);

        var download = await page.APIRequest.GetAsync(server.Url + "/dashboard/catalog/tally.yaml");
        Assert.Equal(200, download.Status);
        Assert.StartsWith("text/yaml", download.Headers["content-type"], StringComparison.Ordinal);
        Assert.Equal(pulled, System.Text.Encoding.UTF8.GetString(await download.BodyAsync()));

        // Read back, the file is the server's catalog: each entry's normal form equals the server's, and nothing is missing.
        var spec = YamlCatalogReader.Read(shown!, "tally.yaml");
        var features = (await server.ApiAsync("features.list", "{}")).Deserialize(TallyJsonContext.Default.ListResponseFeature)!.List;
        var plans = (await server.ApiAsync("plans.list", "{}")).Deserialize(TallyJsonContext.Default.ListResponsePlan)!.List;
        var (featureForms, planForms) = PulledCatalog.Forms(features, plans);
        Assert.Equal(Texts(featureForms), Texts(spec.Features.Select(f => Canon.Feature(f.Value))));
        Assert.Equal(Texts(planForms), Texts(spec.Plans.Select(p => Canon.Plan(p.Value))));
        Assert.Equal(4, spec.Features.Count);
        Assert.Equal(2, spec.Plans.Count);
    }

    [Fact]
    public async Task CatalogYaml_SignedOut_RedirectsToSignIn()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.Url) };
        var response = await http.GetAsync("/dashboard/catalog/tally.yaml");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/signin", response.Headers.Location!.OriginalString);
    }

    private static List<string> Texts(IEnumerable<JsonObject> forms) => forms.Select(f => f.ToJsonString()).ToList();
}
