using System.Text;
using Tally.Contracts;
using Tally.Server.Api.Customers;
using static Tally.Server.Dashboard.Html;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Dashboard;

/// <summary>
/// The customer list: customers.list itself (keyset paging by its cursor, its search on id, name and email), one row
/// per customer with its plans and a usage summary.
/// </summary>
internal static class CustomersPage
{
    public const int PageSize = 25;

    public static async Task<IResult> RenderAsync(HttpContext http, string? q, string? cursor, string? all)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        if (q is { Length: > 200 } || cursor is { Length: > 200 })
        {
            return DashboardEndpoints.Problem(400, "q, cursor: at most 200 characters", session);
        }
        var search = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        if (search is not null && cursor is null && all != "1" && await ExactAsync(http, session, search).ConfigureAwait(false) is { } exact)
        {
            return exact;
        }
        var request = new ListCustomersParams { Limit = PageSize, Search = search, StartCursor = string.IsNullOrEmpty(cursor) ? null : cursor };
        var page = await InProcess.RunAsync(http, session.Tenant, "customers.list", request, C.Default.ListCustomersParams,
            ListCustomers.Handle, C.Default.CursorListResponseCustomer).ConfigureAwait(false);
        if (!page.Ok)
        {
            return DashboardEndpoints.Problem(page.Status, page.Error!, session);
        }
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var sb = new StringBuilder();
        SearchForm(sb, search);
        var list = page.Value!.List;
        if (list.Count == 0)
        {
            sb.Append("<p class=\"muted\">").Append(search is null ? "No customers yet." : "No customer matches this search.").Append("</p>");
        }
        else
        {
            sb.Append("<table id=\"customers\"><thead><tr><th>Customer</th><th>Plans</th><th>Usage</th><th>Created</th></tr></thead><tbody>");
            foreach (var c in list)
            {
                Row(sb, c, now);
            }
            sb.Append("</tbody></table>");
        }
        sb.Append("<nav class=\"pager\" aria-label=\"Pages\">");
        if (request.StartCursor is not null)
        {
            sb.Append($"<a href=\"/dashboard/customers{(search is null ? "" : E("?q=" + U(search) + "&all=1"))}\">First page</a>");
        }
        if (page.Value.NextCursor is { } next)
        {
            var query = (search is null ? "?" : "?q=" + U(search) + "&") + "cursor=" + U(next);
            sb.Append($"<a href=\"/dashboard/customers{E(query)}\" rel=\"next\">Next page</a>");
        }
        sb.Append("</nav>");
        return Page(Layout("Customers", session, sb.ToString()));
    }

    /// <summary>
    /// A search that is a customer's id answers with that customer alone, from the primary key: pasting an id is the
    /// common case, and a substring search reads every row (seconds on a million customers). The page offers the
    /// substring search as a link; null when no customer has this id (the substring search runs then).
    /// </summary>
    private static async Task<IResult?> ExactAsync(HttpContext http, DashboardSession session, string id)
    {
        var one = await InProcess.RunAsync(http, session.Tenant, "customers.get", new GetCustomerParams { CustomerId = id }, C.Default.GetCustomerParams,
            GetCustomer.Handle, C.Default.Customer).ConfigureAwait(false);
        if (!one.Ok)
        {
            return null;
        }
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var sb = new StringBuilder();
        SearchForm(sb, id);
        sb.Append("<p class=\"muted\" id=\"exact\">The customer with this id. <a href=\"/dashboard/customers?q=").Append(E(U(id)))
            .Append("&amp;all=1\">Search ids, names and emails containing “").Append(E(id)).Append("”</a></p>");
        sb.Append("<table id=\"customers\"><thead><tr><th>Customer</th><th>Plans</th><th>Usage</th><th>Created</th></tr></thead><tbody>");
        Row(sb, one.Value!, now);
        sb.Append("</tbody></table>");
        return Page(Layout("Customers", session, sb.ToString()));
    }

    private static void SearchForm(StringBuilder sb, string? search) =>
        sb.Append("<h1>Customers</h1><form class=\"search\" method=\"get\" action=\"/dashboard/customers\" role=\"search\">")
            .Append("<label for=\"q\" class=\"visually-hidden\">Search</label>")
            .Append($"<input id=\"q\" name=\"q\" type=\"search\" maxlength=\"200\" placeholder=\"id, name or email\" value=\"{E(search)}\">")
            .Append("<button type=\"submit\">Search</button></form>");

    private static void Row(StringBuilder sb, Customer c, DateTimeOffset now)
    {
        var id = c.Id ?? "";
        sb.Append("<tr data-customer=\"").Append(E(id)).Append("\"><td>");
        if (c.Id is null)
        {
            sb.Append("<span class=\"muted\">(no id)</span>");
        }
        else
        {
            sb.Append($"<a href=\"/dashboard/customers/{U(id)}\">{E(id)}</a>");
        }
        if (c.Name is not null || c.Email is not null)
        {
            sb.Append("<br><span class=\"muted\">").Append(E(string.Join(" · ", new[] { c.Name, c.Email }.Where(s => s is not null)))).Append("</span>");
        }
        sb.Append("</td><td>");
        var plans = c.Subscriptions.Select(s => s.Status == "active" ? s.PlanId : $"{s.PlanId} ({s.Status})")
            .Concat(c.Purchases.Select(p => p.PlanId)).ToList();
        sb.Append(plans.Count == 0 ? "<span class=\"muted\">none</span>" : E(string.Join(", ", plans)));
        sb.Append("</td><td>");
        if (c.Balances.Count == 0)
        {
            sb.Append("<span class=\"muted\">no balances</span>");
        }
        foreach (var (featureId, b) in c.Balances.OrderBy(kv => kv.Key, StringComparer.Ordinal).Take(4))
        {
            var of = b.Unlimited ? "unlimited" : Num(b.Granted);
            sb.Append($"<div>{E(featureId)}: {Num(b.Usage)} / {of}</div>");
        }
        if (c.Balances.Count > 4)
        {
            sb.Append($"<div class=\"muted\">and {c.Balances.Count - 4} more</div>");
        }
        sb.Append("</td><td>").Append(When(c.CreatedAt, now)).Append("</td></tr>");
    }
}
