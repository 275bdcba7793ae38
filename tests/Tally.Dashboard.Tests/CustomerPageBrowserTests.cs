using System.Globalization;
using Microsoft.Playwright;

namespace Tally.Dashboard.Tests;

/// <summary>The dashboard in a real browser, compared with what the API answers for the same customer.</summary>
public sealed class CustomerPageBrowserTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    /// <summary>A catalog of one metered feature and one plan that grants it monthly (made once per server).</summary>
    private async Task CatalogAsync()
    {
        var features = await server.ApiAsync("features.list", "{}");
        if (features["list"]!.AsArray().Any(f => (string?)f!["id"] == "messages"))
        {
            return;
        }
        await server.ApiAsync("features.create", """{"feature_id":"messages","name":"Messages","type":"metered","consumable":true}""");
        await server.ApiAsync("plans.create",
            """{"plan_id":"pro","name":"Pro","items":[{"feature_id":"messages","included":12500,"reset":{"interval":"month"}}]}""");
    }

    private async Task CustomerAsync(string id, string name, decimal used)
    {
        await server.ApiAsync("customers.get_or_create", $$"""{"customer_id":"{{id}}","name":"{{name}}"}""");
        await server.ApiAsync("billing.attach", $$"""{"customer_id":"{{id}}","plan_id":"pro"}""");
        if (used > 0)
        {
            await server.ApiAsync("balances.track",
                $$"""{"customer_id":"{{id}}","feature_id":"messages","value":{{used.ToString(CultureInfo.InvariantCulture)}}}""");
        }
    }

    private static readonly PageWaitForURLOptions Loaded = new() { WaitUntil = WaitUntilState.DOMContentLoaded };

    private static decimal Value(string? text) => decimal.Parse(text!, CultureInfo.InvariantCulture);

    [Fact]
    public async Task SignIn_SearchAndOpenCustomer_NumbersMatchTheApi()
    {
        await CatalogAsync();
        var rng = new Random(16);
        var used = rng.Next(1000, 9000) + 0.5m;
        await CustomerAsync("dash_ada", "Ada Lovelace", used);
        await CustomerAsync("dash_bob", "Bob Builder", 1);

        var page = await server.SignedInPageAsync();
        Assert.Equal("SANDBOX", (await page.InnerTextAsync(".badge[data-env=sandbox]")).Trim());

        await page.FillAsync("input[name=q]", "Ada");
        await page.PressAsync("input[name=q]", "Enter");
        await page.WaitForURLAsync(u => u.Contains("q=Ada", StringComparison.Ordinal), Loaded);
        Assert.Equal(1, await page.Locator("tr[data-customer=dash_ada]").CountAsync());
        Assert.Equal(0, await page.Locator("tr[data-customer=dash_bob]").CountAsync());

        await page.ClickAsync("tr[data-customer=dash_ada] a");
        await page.WaitForURLAsync(server.Url + "/dashboard/customers/dash_ada", Loaded);

        var api = await server.ApiAsync("customers.get", """{"customer_id":"dash_ada"}""");
        var balance = api["balances"]!["messages"]!;
        var card = page.Locator("section.card[data-feature=messages]");
        foreach (var field in new[] { "granted", "remaining", "usage" })
        {
            var shown = await card.Locator($"dd[data-field={field}]").GetAttributeAsync("data-value");
            Assert.Equal(balance[field]!.GetValue<decimal>(), Value(shown));
        }
        Assert.Equal(used, balance["usage"]!.GetValue<decimal>());
        // For people: thousands separators.
        Assert.Equal("12,500", (await card.Locator("dd[data-field=granted]").InnerTextAsync()).Trim());
        Assert.Equal(1, await page.Locator("#plans tr[data-plan=pro]").CountAsync());

        await SaveScreenshotAsync(page);
    }

    [Fact]
    public async Task UpdateBalanceForm_SetRemaining_TheApiAgrees()
    {
        await CatalogAsync();
        await CustomerAsync("dash_carol", "Carol", 10);
        var page = await server.SignedInPageAsync();
        await page.GotoAsync(server.Url + "/dashboard/customers/dash_carol");

        await page.SelectOptionAsync("#update-balance select[name=feature_id]", "messages");
        await page.SelectOptionAsync("#update-balance select[name=mode]", "set");
        await page.FillAsync("#update-balance input[name=amount]", "7,777");
        await page.ClickAsync("#update-balance button[type=submit]");
        await page.WaitForURLAsync(u => u.Contains("ok=balance", StringComparison.Ordinal), Loaded);

        var api = await server.ApiAsync("customers.get", """{"customer_id":"dash_carol"}""");
        Assert.Equal(7777m, api["balances"]!["messages"]!["remaining"]!.GetValue<decimal>());
        var shown = await page.Locator("section.card[data-feature=messages] dd[data-field=remaining]").GetAttributeAsync("data-value");
        Assert.Equal(7777m, Value(shown));
        Assert.Equal("7,777", (await page.InnerTextAsync("section.card[data-feature=messages] dd[data-field=remaining]")).Trim());
    }

    /// <summary>The customer page as a test artifact, and as docs/dashboard.png when TALLY_UPDATE_SCREENSHOT=1.</summary>
    private static async Task SaveScreenshotAsync(IPage page)
    {
        var artifact = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard-customer.png");
        Directory.CreateDirectory(Path.GetDirectoryName(artifact)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = artifact, FullPage = true });
        Assert.True(new FileInfo(artifact).Length > 0);
        if (Environment.GetEnvironmentVariable("TALLY_UPDATE_SCREENSHOT") == "1")
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
            {
                dir = dir.Parent;
            }
            File.Copy(artifact, Path.Combine(dir!.FullName, "docs", "dashboard.png"), overwrite: true);
        }
    }

    [Fact]
    public async Task UsageChart_SevenDays_OnePointPerDayAndOneSeriesPerFeature()
    {
        await CatalogAsync();
        await CustomerAsync("dash_chart", "Chart", 42);
        var page = await server.SignedInPageAsync();
        await page.GotoAsync(server.Url + "/dashboard/customers/dash_chart?range=7d");
        await page.WaitForSelectorAsync("#chart[data-rendered-points] canvas");

        var api = await server.ApiAsync("events.aggregate", """{"customer_id":"dash_chart","feature_id":["messages"],"range":"7d"}""");
        var periods = api["list"]!.AsArray().Count;
        Assert.True(periods >= 7, $"7d gave {periods} bins");
        Assert.Equal(periods.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#chart", "data-rendered-points"));
        Assert.Equal("1", await page.GetAttributeAsync("#chart", "data-rendered-series"));
    }
}
