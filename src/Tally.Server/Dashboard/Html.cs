using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Tally.Core.Domain;

namespace Tally.Server.Dashboard;

/// <summary>HTML fragments and the formatting people read: every value from a request or the store goes through E().</summary>
internal static class Html
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string E(string? s) => HtmlEncoder.Default.Encode(s ?? "");

    /// <summary>A path or query segment (ids are restricted to URL-safe characters, but a search term is not).</summary>
    public static string U(string? s) => Uri.EscapeDataString(s ?? "");

    /// <summary>Thousands separators and every significant decimal (amounts are exact; nothing is rounded away).</summary>
    public static string Num(decimal d) => d.ToString("#,##0.############", Inv);

    /// <summary>The machine-readable value next to a formatted number (what the browser tests compare with the API).</summary>
    public static string Raw(decimal d) => d.ToString(Inv);

    /// <summary>A time relative to now, with the exact UTC time on hover and in the datetime attribute.</summary>
    public static string When(long? ms, DateTimeOffset now)
    {
        if (ms is not { } v)
        {
            return "<span class=\"muted\">never</span>";
        }
        var at = DateTimeOffset.FromUnixTimeMilliseconds(v);
        var exact = at.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv);
        return $"<time datetime=\"{at.ToString("O", Inv)}\" title=\"{exact}\">{Relative(at - now)}</time>";
    }

    public static string Relative(TimeSpan delta)
    {
        var future = delta >= TimeSpan.Zero;
        var d = future ? delta : -delta;
        var text = d.TotalSeconds < 60 ? "less than a minute"
            : d.TotalMinutes < 60 ? Plural((int)d.TotalMinutes, "minute")
            : d.TotalHours < 48 ? Plural((int)d.TotalHours, "hour")
            : Plural((int)d.TotalDays, "day");
        return future ? "in " + text : text + " ago";
    }

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n.ToString("#,##0", Inv)} {unit}s";

    public static string Csrf(DashboardSession s) => $"<input type=\"hidden\" name=\"csrf\" value=\"{E(s.Csrf)}\">";

    /// <summary>The idempotency key of one rendered action form: a resubmission of the same form is the same request.</summary>
    public static string Idempotency() => $"<input type=\"hidden\" name=\"idem\" value=\"{DashboardSessions.NewToken()}\">";

    public static string Badge(TenantId t) => t.Env == Env.Live
        ? "<span class=\"badge live\" data-env=\"live\">LIVE</span>"
        : "<span class=\"badge sandbox\" data-env=\"sandbox\">SANDBOX</span>";

    /// <summary>The page frame: navigation, the environment badge, sign-out, then the body.</summary>
    public static string Layout(string title, DashboardSession? session, string body, string? script = null)
    {
        var sb = new StringBuilder(4096);
        sb.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
        sb.Append("<meta name=\"color-scheme\" content=\"light dark\">");
        sb.Append("<title>").Append(E(title)).Append(" · Tally</title>");
        sb.Append("<link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css\">");
        if (script is not null)
        {
            sb.Append("<link rel=\"stylesheet\" href=\"/dashboard/assets/uplot.min.css\">");
        }
        sb.Append("</head><body><a class=\"skip\" href=\"#main\">Skip to content</a><header><strong class=\"brand\">Tally</strong>");
        if (session is not null)
        {
            sb.Append(Badge(session.Tenant));
            sb.Append("<nav aria-label=\"Main\"><a href=\"/dashboard/customers\">Customers</a><a href=\"/dashboard/catalog\">Catalog</a><a href=\"/dashboard/webhooks\">Webhooks</a></nav>");
            sb.Append("<span class=\"org\">").Append(E(session.Tenant.OrgId)).Append("</span>");
            sb.Append("<form method=\"post\" action=\"/dashboard/signout\" class=\"inline\">").Append(Csrf(session))
                .Append("<button type=\"submit\">Sign out</button></form>");
        }
        sb.Append("</header><main id=\"main\">").Append(body).Append("</main>");
        if (script is not null)
        {
            sb.Append("<script src=\"/dashboard/assets/uplot.min.js\"></script>");
        }
        sb.Append("<script src=\"/dashboard/assets/dashboard.js\"></script></body></html>");
        return sb.ToString();
    }

    public static IResult Page(string html, int status = 200) => new HtmlResult(html, status);

    /// <summary>An HTML answer with the headers every dashboard page carries: no caching, no framing, only local scripts.</summary>
    private sealed class HtmlResult(string html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            Secure(http);
            http.Response.StatusCode = status;
            http.Response.ContentType = "text/html; charset=utf-8";
            return http.Response.WriteAsync(html);
        }
    }

    public static void Secure(HttpContext http)
    {
        var h = http.Response.Headers;
        h.CacheControl = "no-store";
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "same-origin";
        h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'";
    }
}
