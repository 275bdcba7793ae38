using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Primitives;
using Tally.Core.Storage;
using Tally.Server.Http;
using static Tally.Server.Dashboard.Html;

namespace Tally.Server.Dashboard;

/// <summary>
/// The dashboard at <c>/dashboard</c>, served by the API's own process: server-rendered pages, a session cookie that
/// holds only a random token, a CSRF token on every form, and every read and action through the API's use cases.
/// </summary>
internal static class DashboardEndpoints
{
    public static IServiceCollection AddTallyDashboard(this IServiceCollection services) => services.AddSingleton<DashboardSessions>();

    public static void MapTallyDashboard(this IEndpointRouteBuilder app)
    {
        // Pages for people, not part of the API: kept out of the OpenAPI document.
        var d = app.MapGroup("/dashboard").ExcludeFromDescription().AddEndpointFilter(ServerTiming);
        d.MapGet("", (HttpContext http) => Results.Redirect("/dashboard/customers"));
        d.MapGet("/signin", (Delegate)SignInForm);
        d.MapPost("/signin", (Delegate)SignInAsync);
        d.MapPost("/signout", (Delegate)SignOutAsync);
        d.MapGet("/customers", CustomersPage.RenderAsync);
        d.MapGet("/customers/{id}", CustomerPage.RenderAsync);
        d.MapPost("/customers/{id}", CustomerActions.HandleAsync);
        d.MapGet("/catalog", (Delegate)CatalogPage.RenderAsync);
        d.MapGet("/catalog/tally.yaml", (Delegate)CatalogPage.YamlAsync);
        d.MapGet("/webhooks", WebhooksPage.RenderAsync);
        d.MapPost("/webhooks", (Delegate)WebhooksPage.HandleAsync);
        d.MapGet("/assets/{name}", Assets.Serve);
    }

    /// <summary>
    /// Every dashboard answer says how long the server worked on it (<c>Server-Timing: app;dur=ms</c>, from the handler's
    /// start to the first byte), so the browser's network panel and the benchmark read server time apart from the network.
    /// </summary>
    private static ValueTask<object?> ServerTiming(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var response = context.HttpContext.Response;
        response.OnStarting(() =>
        {
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            response.Headers["Server-Timing"] = "app;dur=" + ms.ToString("0.0", CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        return next(context);
    }

    /// <summary>
    /// The signed-in session of this request, or null when there is none or the key that opened it was revoked since
    /// (the key's hash is looked up again on every page, so a revocation ends the session at once).
    /// </summary>
    public static async Task<DashboardSession?> SessionAsync(HttpContext http)
    {
        var sessions = http.RequestServices.GetRequiredService<DashboardSessions>();
        var session = sessions.Find(http.Request.Cookies[DashboardSessions.Cookie]);
        if (session is null)
        {
            return null;
        }
        var store = http.RequestServices.GetRequiredService<ITallyStore>();
        var identity = await store.FindActiveApiKeyAsync(session.KeyHash, http.RequestAborted).ConfigureAwait(false);
        if (identity is null || identity.Tenant != session.Tenant)
        {
            sessions.Remove(session.Token);
            return null;
        }
        return session;
    }

    public static IResult ToSignIn() => Results.Redirect("/dashboard/signin");

    /// <summary>Reads a form post; a body that is not a form (or too large) is a 400, never a fault.</summary>
    public static async Task<IFormCollection?> FormAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType)
        {
            return null;
        }
        try
        {
            return await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (BadHttpRequestException)
        {
            return null;
        }
    }

    /// <summary>One value of a form field; a repeated field is refused rather than guessed at.</summary>
    public static string? Field(IFormCollection form, string name, int maxLength = 200) =>
        form.TryGetValue(name, out StringValues v) && v.Count == 1 && v[0] is { } s && s.Length <= maxLength ? s : null;

    public static IResult Problem(int status, string message, DashboardSession? session) =>
        Page(Layout("Error", session, $"<h1>Request refused</h1><p role=\"alert\" class=\"error\">{E(message)}</p>"
            + "<p><a href=\"/dashboard\">Back to the dashboard</a></p>"), status);

    private static IResult SignInForm(HttpContext http) => RenderSignIn(http, null, 200);

    private static IResult RenderSignIn(HttpContext http, string? error, int status)
    {
        // Login CSRF: the form's token must match a same-site cookie set with it (double submit).
        var token = DashboardSessions.NewToken();
        http.Response.Cookies.Append(DashboardSessions.SignInCookie, token, CookieOptions(http));
        var body = "<section class=\"signin\"><h1>Sign in</h1><p>Paste a secret key (<code>am_sk_test_…</code> or <code>am_sk_live_…</code>). "
            + "Its organization and environment decide what you see.</p>"
            + (error is null ? "" : $"<p role=\"alert\" class=\"error\">{E(error)}</p>")
            + "<form method=\"post\" action=\"/dashboard/signin\">"
            + $"<input type=\"hidden\" name=\"csrf\" value=\"{E(token)}\">"
            + "<label for=\"key\">Secret key</label>"
            + "<input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"off\" required autofocus maxlength=\"200\">"
            + "<button type=\"submit\">Sign in</button></form></section>";
        return Page(Layout("Sign in", null, body), status);
    }

    private static async Task<IResult> SignInAsync(HttpContext http)
    {
        var form = await FormAsync(http).ConfigureAwait(false);
        if (form is null)
        {
            return RenderSignIn(http, "The sign-in form was not readable; try again.", 400);
        }
        var expected = http.Request.Cookies[DashboardSessions.SignInCookie];
        if (expected is null || !DashboardSessions.SameToken(expected, Field(form, "csrf")))
        {
            return RenderSignIn(http, "The sign-in form expired; try again.", 403);
        }
        var key = Field(form, "key")?.Trim();
        if (string.IsNullOrEmpty(key) || !key.StartsWith("am_sk_", StringComparison.Ordinal))
        {
            return RenderSignIn(http, "key: must be a secret key starting with am_sk_", 400);
        }
        var resolver = http.RequestServices.GetRequiredService<KeyResolver>();
        var identity = await resolver.ResolveAsync(key, http.RequestAborted).ConfigureAwait(false);
        if (identity is null)
        {
            return RenderSignIn(http, "key: not an active secret key", 401);
        }
        var session = http.RequestServices.GetRequiredService<DashboardSessions>().Create(KeyResolver.Hash(key), identity.Tenant);
        http.Response.Cookies.Delete(DashboardSessions.SignInCookie, CookieOptions(http));
        http.Response.Cookies.Append(DashboardSessions.Cookie, session.Token, CookieOptions(http));
        Secure(http);
        return Results.Redirect("/dashboard/customers");
    }

    private static async Task<IResult> SignOutAsync(HttpContext http)
    {
        var sessions = http.RequestServices.GetRequiredService<DashboardSessions>();
        var session = sessions.Find(http.Request.Cookies[DashboardSessions.Cookie]);
        var form = await FormAsync(http).ConfigureAwait(false);
        if (session is null)
        {
            return ToSignIn();
        }
        if (form is null || !session.CsrfMatches(Field(form, "csrf")))
        {
            return Problem(403, "csrf: the form is not from this session", session);
        }
        sessions.Remove(session.Token);
        http.Response.Cookies.Delete(DashboardSessions.Cookie, CookieOptions(http));
        return ToSignIn();
    }

    private static CookieOptions CookieOptions(HttpContext http) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/dashboard",
        IsEssential = true,
    };
}
