using System.Text;
using Tally.Contracts;
using Tally.Server.Api.Customers;
using Tally.Server.Api.Entities;
using Tally.Server.Api.Events;
using Tally.Server.Api.Features;
using Tally.Server.Api.Plans;
using static Tally.Server.Dashboard.Html;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Dashboard;

/// <summary>Everything the customer page shows, each piece read through the use case the API answers it with.</summary>
internal sealed record CustomerView(Customer Customer, List<EntityResponse> Entities, List<EventItem> Events, List<Feature> Features,
    List<Plan> Plans, UsageChart? Chart, DateTimeOffset Now);

/// <summary>
/// <c>/dashboard/customers/{id}</c>: plans, one card per feature, the usage chart, the latest events, and the action
/// forms (each with a fresh idempotency key and the session's CSRF token).
/// </summary>
internal static class CustomerPage
{
    public const int EventCount = 20;
    public const int EntityCount = 50;

    /// <summary>Messages of a completed action, by the fixed code its redirect carries (never text from the request).</summary>
    private static readonly Dictionary<string, string> Done = new(StringComparer.Ordinal)
    {
        ["balance"] = "Balance updated.",
        ["grant"] = "Balance granted.",
        ["attach"] = "Plan attached.",
        ["cancel"] = "Plan canceled.",
    };

    public static async Task<IResult> RenderAsync(HttpContext http, string id, string? range, string? ok)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        var flash = ok is not null && Done.TryGetValue(ok, out var message) ? $"<p role=\"status\" class=\"ok\">{E(message)}</p>" : null;
        return await RenderForAsync(http, session, id, range, flash, 200).ConfigureAwait(false);
    }

    public static async Task<IResult> RenderForAsync(HttpContext http, DashboardSession session, string id, string? range, string? flash, int status)
    {
        if (!UsageChart.TryRange(range, out _))
        {
            return DashboardEndpoints.Problem(400, $"range: must be one of {UsageChart.Ranges}", session);
        }
        var t = session.Tenant;
        var customer = await InProcess.RunAsync(http, t, "customers.get", new GetCustomerParams { CustomerId = id }, C.Default.GetCustomerParams,
            GetCustomer.Handle, C.Default.Customer).ConfigureAwait(false);
        if (!customer.Ok)
        {
            return DashboardEndpoints.Problem(customer.Status, customer.Error!, session);
        }
        var entities = await InProcess.RunAsync(http, t, "entities.list", new ListEntitiesParams { CustomerId = id, Limit = EntityCount },
            C.Default.ListEntitiesParams, ListEntities.Handle, C.Default.CursorListResponseEntityResponse).ConfigureAwait(false);
        var events = await InProcess.RunAsync(http, t, "events.list", new ListEventsParams { CustomerId = id, Limit = EventCount },
            C.Default.ListEventsParams, ListEvents.Handle, C.Default.CursorListResponseEventItem).ConfigureAwait(false);
        var features = await InProcess.RunAsync(http, t, "features.list", new EmptyParams(), C.Default.EmptyParams, ListFeatures.Handle,
            C.Default.ListResponseFeature).ConfigureAwait(false);
        var plans = await InProcess.RunAsync(http, t, "plans.list", new ListPlansParams(), C.Default.ListPlansParams, ListPlans.Handle,
            C.Default.ListResponsePlan).ConfigureAwait(false);
        var (chart, shown) = await UsageChart.LoadAsync(http, t, customer.Value!, range, events.Value?.List.Count > 0).ConfigureAwait(false);
        var view = new CustomerView(customer.Value!, entities.Value?.List ?? [], events.Value?.List ?? [], features.Value?.List ?? [],
            plans.Value?.List ?? [], chart, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        var body = Render(view, session, shown, flash);
        return Page(Layout(customer.Value!.Name ?? id, session, body, chart is null ? null : "chart"), status);
    }

    private static string Render(CustomerView v, DashboardSession session, string range, string? flash)
    {
        var c = v.Customer;
        var sb = new StringBuilder(8192);
        sb.Append("<p><a href=\"/dashboard/customers\">← Customers</a></p>");
        sb.Append("<h1 data-customer-id=\"").Append(E(c.Id)).Append("\">").Append(E(c.Name ?? c.Id)).Append("</h1>");
        sb.Append("<p class=\"muted\"><code>").Append(E(c.Id)).Append("</code>");
        if (c.Email is not null)
        {
            sb.Append(" · ").Append(E(c.Email));
        }
        sb.Append(" · created ").Append(When(c.CreatedAt, v.Now)).Append("</p>");
        sb.Append(flash);
        CustomerSections.Plans(sb, v, session);
        CustomerSections.Balances(sb, v);
        UsageChart.Section(sb, v.Chart, c.Id ?? "", range);
        CustomerSections.Events(sb, v);
        CustomerSections.Actions(sb, v, session);
        return sb.ToString();
    }
}
