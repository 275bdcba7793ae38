using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Tally.Contracts;
using Tally.Server.Api.Webhooks;
using static Tally.Server.Dashboard.Html;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Dashboard;

/// <summary>
/// <c>/dashboard/webhooks</c>: the environment's endpoints (webhooks.list) and their deliveries, newest first, paged by
/// webhooks.deliveries' own cursor; each delivery can be sent again through webhooks.redeliver.
/// </summary>
internal static partial class WebhooksPage
{
    public const int PageSize = 25;

    public static async Task<IResult> RenderAsync(HttpContext http, [FromQuery(Name = "webhook_id")] string? webhookId, string? cursor, string? ok)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        var flash = ok == "redeliver" ? "<p role=\"status\" class=\"ok\">Delivery queued again.</p>" : null;
        return await RenderForAsync(http, session, webhookId, cursor, flash, 200).ConfigureAwait(false);
    }

    public static async Task<IResult> HandleAsync(HttpContext http)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        var form = await DashboardEndpoints.FormAsync(http).ConfigureAwait(false);
        if (form is null)
        {
            return DashboardEndpoints.Problem(400, "body: must be a form", session);
        }
        if (!session.CsrfMatches(DashboardEndpoints.Field(form, "csrf")))
        {
            return DashboardEndpoints.Problem(403, "csrf: the form is not from this session; reload the page", session);
        }
        if (DashboardEndpoints.Field(form, "idem") is not { } idem || !IdempotencyToken().IsMatch(idem))
        {
            return DashboardEndpoints.Problem(400, "idem: missing or malformed; reload the page", session);
        }
        if (DashboardEndpoints.Field(form, "action") != "redeliver")
        {
            return DashboardEndpoints.Problem(400, "action: must be redeliver", session);
        }
        var delivery = DashboardEndpoints.Field(form, "delivery_id");
        var (status, error) = string.IsNullOrEmpty(delivery)
            ? (400, "delivery_id: required")
            : await InProcess.ActAsync(http, session.Tenant, "webhooks.redeliver", new RedeliverWebhookParams { DeliveryId = delivery },
                C.Default.RedeliverWebhookParams, RedeliverWebhook.Handle, "dashboard:" + idem).ConfigureAwait(false);
        var filter = DashboardEndpoints.Field(form, "webhook_id");
        if (error is not null)
        {
            return await RenderForAsync(http, session, filter, null, $"<p role=\"alert\" class=\"error\">{E(error)}</p>", status).ConfigureAwait(false);
        }
        // Post/redirect/get, back to the same endpoint filter; the first page shows the delivery's new attempt soonest.
        http.Response.Headers.Location = "/dashboard/webhooks?" + (string.IsNullOrEmpty(filter) ? "" : "webhook_id=" + U(filter) + "&") + "ok=redeliver";
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static async Task<IResult> RenderForAsync(HttpContext http, DashboardSession session, string? webhookId, string? cursor, string? flash,
        int status)
    {
        if (webhookId is { Length: > 200 } || cursor is { Length: > 200 })
        {
            return DashboardEndpoints.Problem(400, "webhook_id, cursor: at most 200 characters", session);
        }
        var filter = string.IsNullOrEmpty(webhookId) ? null : webhookId;
        var t = session.Tenant;
        var endpoints = await InProcess.RunAsync(http, t, "webhooks.list", new EmptyParams(), C.Default.EmptyParams, ListWebhooks.Handle,
            C.Default.ListResponseWebhookEndpointInfo).ConfigureAwait(false);
        var request = new ListWebhookDeliveriesParams { WebhookId = filter, Cursor = string.IsNullOrEmpty(cursor) ? null : cursor, Limit = PageSize };
        var deliveries = await InProcess.RunAsync(http, t, "webhooks.deliveries", request, C.Default.ListWebhookDeliveriesParams,
            ListWebhookDeliveries.Handle, C.Default.CursorListResponseWebhookDelivery).ConfigureAwait(false);
        if (!endpoints.Ok || !deliveries.Ok)
        {
            return DashboardEndpoints.Problem(endpoints.Ok ? deliveries.Status : endpoints.Status, (endpoints.Error ?? deliveries.Error)!, session);
        }
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var sb = new StringBuilder(8192);
        sb.Append("<h1>Webhooks</h1>").Append(flash);
        Endpoints(sb, endpoints.Value!.List, filter, now);
        sb.Append("<h2>Deliveries").Append(filter is null ? "" : " to <code>" + E(filter) + "</code>").Append("</h2>");
        if (filter is not null)
        {
            sb.Append("<p><a href=\"/dashboard/webhooks\">All endpoints</a></p>");
        }
        Deliveries(sb, deliveries.Value!.List, filter, session, now);
        sb.Append("<nav class=\"pager\" aria-label=\"Pages\">");
        var filterQuery = filter is null ? "" : "webhook_id=" + U(filter);
        if (request.Cursor is not null)
        {
            sb.Append($"<a href=\"/dashboard/webhooks{(filter is null ? "" : "?" + E(filterQuery))}\">First page</a>");
        }
        if (deliveries.Value.NextCursor is { } next)
        {
            var query = "?" + (filter is null ? "" : filterQuery + "&") + "cursor=" + U(next);
            sb.Append($"<a href=\"/dashboard/webhooks{E(query)}\" rel=\"next\">Next page</a>");
        }
        sb.Append("</nav>");
        return Page(Layout("Webhooks", session, sb.ToString()), status);
    }

    private static void Endpoints(StringBuilder sb, List<WebhookEndpointInfo> list, string? filter, DateTimeOffset now)
    {
        sb.Append("<h2>Endpoints</h2>");
        if (list.Count == 0)
        {
            sb.Append("<p class=\"muted\">No endpoints in this environment; create one with <code>webhooks.create</code>.</p>");
            return;
        }
        sb.Append("<table id=\"endpoints\"><thead><tr><th>Endpoint</th><th>Description</th><th>Events</th><th>State</th><th>Created</th></tr></thead><tbody>");
        foreach (var e in list)
        {
            var state = e.Disabled ? "disabled" : e.Failing ? "failing" : "enabled";
            sb.Append("<tr data-webhook=\"").Append(E(e.Id)).Append("\"").Append(e.Id == filter ? " aria-current=\"true\"" : "").Append("><td>")
                .Append("<a href=\"/dashboard/webhooks?webhook_id=").Append(E(U(e.Id))).Append("\"><code>").Append(E(e.Id)).Append("</code></a><br>")
                .Append("<span class=\"url\">").Append(E(e.Url)).Append("</span></td><td>").Append(E(e.Description))
                .Append("</td><td>").Append(e.Events.Count == 0 ? "all" : E(string.Join(", ", e.Events)))
                .Append("</td><td><span class=\"flag state-").Append(state).Append("\" data-state=\"").Append(state).Append("\">").Append(state)
                .Append("</span></td><td>").Append(When(e.CreatedAt, now)).Append("</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    private static void Deliveries(StringBuilder sb, List<WebhookDelivery> list, string? filter, DashboardSession session, DateTimeOffset now)
    {
        if (list.Count == 0)
        {
            sb.Append("<p class=\"muted\">No deliveries yet.</p>");
            return;
        }
        sb.Append("<table id=\"deliveries\"><thead><tr><th>Queued</th><th>Event</th><th>Endpoint</th><th>Status</th><th class=\"num\">Attempts</th>")
            .Append("<th class=\"num\">Last HTTP status</th><th class=\"num\">Duration</th><th>Error</th><th></th></tr></thead><tbody>");
        foreach (var d in list)
        {
            var last = d.Attempts.Count == 0 ? null : d.Attempts[^1];
            sb.Append("<tr data-delivery=\"").Append(E(d.Id)).Append("\"><td>").Append(When(d.CreatedAt, now)).Append("</td><td><code>")
                .Append(E(d.EventType)).Append("</code></td><td><code>").Append(E(d.WebhookId)).Append("</code></td><td><span class=\"flag\" data-status=\"")
                .Append(E(d.Status)).Append("\">").Append(E(d.Status)).Append("</span>");
            if (d.Status == "pending" && d.NextAttemptAt is { } due)
            {
                sb.Append("<br><span class=\"muted\">next ").Append(When(due, now)).Append("</span>");
            }
            sb.Append("</td><td class=\"num\" data-attempts=\"").Append(d.Attempts.Count).Append("\">").Append(d.Attempts.Count)
                .Append("</td><td class=\"num\" data-http-status=\"").Append(last?.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append("\">").Append(last is null ? "—" : last.Status is { } code ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer")
                .Append("</td><td class=\"num\">").Append(last is null ? "—" : Num(last.DurationMs) + " ms")
                .Append("</td><td>").Append(last?.Error is { } error ? "<span class=\"error\">" + E(error) + "</span>" : "")
                .Append("</td><td>");
            RedeliverForm(sb, d, filter, session);
            sb.Append("</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    private static void RedeliverForm(StringBuilder sb, WebhookDelivery d, string? filter, DashboardSession session)
    {
        sb.Append("<form method=\"post\" action=\"/dashboard/webhooks\" class=\"redeliver\" data-confirm=\"Send ").Append(E(d.EventType))
            .Append(" to ").Append(E(d.WebhookId)).Append(" again?\">").Append(Csrf(session)).Append(Idempotency())
            .Append("<input type=\"hidden\" name=\"action\" value=\"redeliver\">")
            .Append("<input type=\"hidden\" name=\"delivery_id\" value=\"").Append(E(d.Id)).Append("\">");
        if (filter is not null)
        {
            sb.Append("<input type=\"hidden\" name=\"webhook_id\" value=\"").Append(E(filter)).Append("\">");
        }
        sb.Append("<button type=\"submit\" aria-label=\"Redeliver ").Append(E(d.Id)).Append("\">Redeliver</button></form>");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    private static partial Regex IdempotencyToken();
}
