using System.Net;
using System.Text.RegularExpressions;

namespace Tally.Dashboard.Tests;

/// <summary>
/// Sign-in, the session cookie, CSRF and idempotency of the forms, over plain HTTP (no browser needed): a form post is
/// what a browser sends, and these are the refusals a browser test could not provoke.
/// </summary>
public sealed partial class SessionAndFormTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private HttpClient Browserless(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(server.Url),
        };
    }

    private static string Hidden(string html, string name, string? formId = null)
    {
        var scope = formId is null ? html : html[html.IndexOf($"id=\"{formId}\"", StringComparison.Ordinal)..];
        return Regex.Match(scope, $"name=\"{name}\" value=\"([^\"]*)\"").Groups[1].Value;
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string path, params (string, string)[] fields) =>
        await http.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))));

    private async Task<HttpClient> SignInAsync(string key = DashboardServer.SandboxKey)
    {
        var http = Browserless(out _);
        var form = await (await http.GetAsync("/dashboard/signin")).Content.ReadAsStringAsync();
        var response = await PostFormAsync(http, "/dashboard/signin", ("csrf", Hidden(form, "csrf")), ("key", key));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return http;
    }

    private async Task<decimal> RemainingAsync(string customer) =>
        (await server.ApiAsync("customers.get", $$"""{"customer_id":"{{customer}}"}"""))["balances"]!["credits"]!["remaining"]!.GetValue<decimal>();

    private async Task CustomerWithBalanceAsync(string id)
    {
        await server.ApiAsync("customers.get_or_create", $$"""{"customer_id":"{{id}}"}""");
        var features = await server.ApiAsync("features.list", "{}");
        if (!features["list"]!.AsArray().Any(f => (string?)f!["id"] == "credits"))
        {
            await server.ApiAsync("features.create", """{"feature_id":"credits","name":"Credits","type":"metered","consumable":true}""");
        }
        await server.ApiAsync("balances.create", $$"""{"customer_id":"{{id}}","feature_id":"credits","included_grant":100}""");
    }

    [Fact]
    public async Task SignIn_ValidKey_SessionCookieIsHttpOnlyStrictAndNotTheKey()
    {
        var http = Browserless(out _);
        var form = await (await http.GetAsync("/dashboard/signin")).Content.ReadAsStringAsync();
        var response = await PostFormAsync(http, "/dashboard/signin", ("csrf", Hidden(form, "csrf")), ("key", DashboardServer.SandboxKey));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tally_dashboard=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(DashboardServer.SandboxKey, cookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/dashboard/customers")).StatusCode);
    }

    [Fact]
    public async Task SignIn_UnknownKeyOrMissingCsrf_RefusedWithoutSession()
    {
        var http = Browserless(out var cookies);
        var form = await (await http.GetAsync("/dashboard/signin")).Content.ReadAsStringAsync();
        var unknown = await PostFormAsync(http, "/dashboard/signin", ("csrf", Hidden(form, "csrf")), ("key", "am_sk_test_nobody"));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        var noCsrf = await PostFormAsync(http, "/dashboard/signin", ("key", DashboardServer.SandboxKey));
        Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);
        Assert.Null(cookies.GetAllCookies().FirstOrDefault(c => c.Name == "tally_dashboard"));
        var page = await http.GetAsync("/dashboard/customers");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/dashboard/signin", page.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task UpdateBalance_WithoutCsrf_RefusedAndNothingChanges()
    {
        await CustomerWithBalanceAsync("dash_csrf");
        var http = await SignInAsync();
        var html = await (await http.GetAsync("/dashboard/customers/dash_csrf")).Content.ReadAsStringAsync();
        var response = await PostFormAsync(http, "/dashboard/customers/dash_csrf", ("csrf", "forged"),
            ("idem", Hidden(html, "idem", "update-balance")), ("action", "balance"), ("feature_id", "credits"), ("mode", "set"), ("amount", "1"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(100m, await RemainingAsync("dash_csrf"));
    }

    [Fact]
    public async Task UpdateBalance_SameFormSubmittedTwice_AppliedOnce()
    {
        await CustomerWithBalanceAsync("dash_twice");
        var http = await SignInAsync();
        var html = await (await http.GetAsync("/dashboard/customers/dash_twice")).Content.ReadAsStringAsync();
        (string, string)[] fields = [("csrf", Hidden(html, "csrf", "update-balance")), ("idem", Hidden(html, "idem", "update-balance")),
            ("action", "balance"), ("feature_id", "credits"), ("mode", "add"), ("amount", "5")];
        Assert.Equal(HttpStatusCode.SeeOther, (await PostFormAsync(http, "/dashboard/customers/dash_twice", fields)).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await PostFormAsync(http, "/dashboard/customers/dash_twice", fields)).StatusCode);
        Assert.Equal(105m, await RemainingAsync("dash_twice"));
    }

    [Fact]
    public async Task UpdateBalance_AmountNotANumber_400NamingTheFieldAndNothingChanges()
    {
        await CustomerWithBalanceAsync("dash_bad_amount");
        var http = await SignInAsync();
        var html = await (await http.GetAsync("/dashboard/customers/dash_bad_amount")).Content.ReadAsStringAsync();
        var response = await PostFormAsync(http, "/dashboard/customers/dash_bad_amount", ("csrf", Hidden(html, "csrf", "update-balance")),
            ("idem", Hidden(html, "idem", "update-balance")), ("action", "balance"), ("feature_id", "credits"), ("mode", "set"),
            ("amount", "1e999<script>"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("amount: must be a number", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
        Assert.Equal(100m, await RemainingAsync("dash_bad_amount"));
    }

    [Fact]
    public async Task CancelForm_Immediately_TheApiShowsThePlanGoneOrCanceled()
    {
        await CustomerWithBalanceAsync("dash_cancel");
        var plans = await server.ApiAsync("plans.list", "{}");
        if (!plans["list"]!.AsArray().Any(p => (string?)p!["id"] == "solo"))
        {
            await server.ApiAsync("plans.create",
                """{"plan_id":"solo","name":"Solo","items":[{"feature_id":"credits","included":10,"reset":{"interval":"month"}}]}""");
        }
        await server.ApiAsync("billing.attach", """{"customer_id":"dash_cancel","plan_id":"solo"}""");
        var http = await SignInAsync();
        var html = await (await http.GetAsync("/dashboard/customers/dash_cancel")).Content.ReadAsStringAsync();
        var form = html[html.IndexOf("class=\"cancel\"", StringComparison.Ordinal)..];
        var response = await PostFormAsync(http, "/dashboard/customers/dash_cancel", ("csrf", Hidden(form, "csrf")), ("idem", Hidden(form, "idem")),
            ("action", "cancel"), ("plan_id", "solo"), ("cancel_action", "cancel_immediately"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var customer = await server.ApiAsync("customers.get", """{"customer_id":"dash_cancel"}""");
        var solo = customer["subscriptions"]!.AsArray().Where(s => (string?)s!["plan_id"] == "solo").ToList();
        Assert.All(solo, s => Assert.NotNull(s!["canceled_at"]));
    }

    [Fact]
    public async Task Search_AnExactId_ShowsThatCustomerAloneAndLinksToTheSubstringSearch()
    {
        await server.ApiAsync("customers.get_or_create", """{"customer_id":"dash_exact"}""");
        await server.ApiAsync("customers.get_or_create", """{"customer_id":"dash_exact_two","name":"Exact Two"}""");
        var http = await SignInAsync();
        var exact = await (await http.GetAsync("/dashboard/customers?q=dash_exact")).Content.ReadAsStringAsync();
        Assert.Equal(["dash_exact"], Rows(exact));
        Assert.Contains("href=\"/dashboard/customers?q=dash_exact&amp;all=1\"", exact, StringComparison.Ordinal);
        var containing = await (await http.GetAsync("/dashboard/customers?q=dash_exact&all=1")).Content.ReadAsStringAsync();
        Assert.Equal(["dash_exact", "dash_exact_two"], Rows(containing).Order(StringComparer.Ordinal));
        var byName = await (await http.GetAsync("/dashboard/customers?q=exact+two")).Content.ReadAsStringAsync();
        Assert.Equal(["dash_exact_two"], Rows(byName));
    }

    [Fact]
    public async Task CustomerPage_UsageOlderThanAWeek_ChartDefaultsToTheRangeThatShowsIt()
    {
        // The README quickstart's path: usage tracked, then the customer's test clock moved 32 days on.
        await CustomerWithBalanceAsync("dash_clock");
        await server.ApiAsync("balances.track", """{"customer_id":"dash_clock","feature_id":"credits","value":7}""");
        var frozen = DateTimeOffset.UtcNow.AddDays(32).ToUnixTimeMilliseconds();
        await server.ApiAsync("customers.advance_test_clock", $$"""{"customer_id":"dash_clock","frozen_time":{{frozen}}}""");
        var http = await SignInAsync();
        var page = await (await http.GetAsync("/dashboard/customers/dash_clock")).Content.ReadAsStringAsync();
        Assert.Contains("range=90d\" aria-current=\"page\"", page, StringComparison.Ordinal);
        var data = Regex.Match(page, "id=\"chart-data\">([^<]*)<").Groups[1].Value;
        Assert.Equal(7m, JsonDocument.Parse(data).RootElement.GetProperty("series")[0].GetProperty("values").EnumerateArray().Sum(v => v.GetDecimal()));
        // Asked for, a range is kept even when it shows nothing.
        var week = await (await http.GetAsync("/dashboard/customers/dash_clock?range=7d")).Content.ReadAsStringAsync();
        Assert.Contains("range=7d\" aria-current=\"page\"", week, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posts_RandomBodiesAndQueries_NeverAFault()
    {
        var http = await SignInAsync();
        var html = await (await http.GetAsync("/dashboard/webhooks")).Content.ReadAsStringAsync();
        var csrf = Hidden(html, "csrf");
        var rng = new Random(1616);
        string Noise(int max) => new([.. Enumerable.Range(0, rng.Next(max)).Select(_ => (char)rng.Next(1, 0x2FF))]);
        // Queries first: the posts end with a sign-out.
        foreach (var query in new[] { "/dashboard/webhooks?cursor=", "/dashboard/webhooks?webhook_id=", "/dashboard/customers?q=", "/dashboard/customers?cursor=" })
        {
            for (var i = 0; i < 20; i++)
            {
                var response = await http.GetAsync(query + Uri.EscapeDataString(Noise(260)));
                Assert.True((int)response.StatusCode < 500, $"{query} answered {(int)response.StatusCode}");
            }
        }
        foreach (var path in new[] { "/dashboard/webhooks", "/dashboard/customers/dash_fuzz", "/dashboard/signin", "/dashboard/signout" })
        {
            for (var i = 0; i < 40; i++)
            {
                // Every other form carries this session's CSRF token and a well-formed idempotency key, so the use case runs.
                var valid = i % 2 == 0;
                var idem = valid ? new string('x', 42) + (char)('a' + (i % 26)) : Noise(50);
                HttpContent body = (i % 3) switch
                {
                    0 => new ByteArrayContent([.. Enumerable.Range(0, rng.Next(300)).Select(_ => (byte)rng.Next(256))]),
                    1 => new FormUrlEncodedContent([new("csrf", valid ? csrf : Noise(60)), new("idem", idem), new("action", "redeliver"),
                        new("delivery_id", Noise(300)), new("webhook_id", Noise(300)), new("key", Noise(80))]),
                    _ => new StringContent(Noise(400), System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
                };
                var response = await http.PostAsync(path, body);
                Assert.True((int)response.StatusCode < 500, $"{path} answered {(int)response.StatusCode}");
            }
        }
    }

    private static List<string> Rows(string html) => [.. Regex.Matches(html, "<tr data-customer=\"([^\"]*)\"").Select(m => m.Groups[1].Value)];

    [Fact]
    public async Task SignOut_EndsTheSession()
    {
        var http = await SignInAsync();
        var html = await (await http.GetAsync("/dashboard/customers")).Content.ReadAsStringAsync();
        var response = await PostFormAsync(http, "/dashboard/signout", ("csrf", Hidden(html, "csrf")));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/dashboard/customers")).StatusCode);
    }
}
