using System.Text;
using Tally.Contracts;
using static Tally.Server.Dashboard.Html;

namespace Tally.Server.Dashboard;

/// <summary>The sections of the customer page. Numbers carry their exact value in data-value for tools and tests.</summary>
internal static class CustomerSections
{
    public static void Plans(StringBuilder sb, CustomerView v, DashboardSession session)
    {
        var c = v.Customer;
        sb.Append("<h2>Plans</h2>");
        if (c.Subscriptions.Count == 0 && c.Purchases.Count == 0)
        {
            sb.Append("<p class=\"muted\">No plans attached.</p>");
            return;
        }
        sb.Append("<table id=\"plans\"><thead><tr><th>Plan</th><th>Status</th><th>Period</th><th>Started</th><th>Ends</th>");
        sb.Append(CustomerActions.CanCancel ? "<th>Action</th>" : "").Append("</tr></thead><tbody>");
        foreach (var s in c.Subscriptions)
        {
            sb.Append("<tr data-plan=\"").Append(E(s.PlanId)).Append("\"><td>").Append(E(s.PlanId))
                .Append(s.AddOn ? " <span class=\"flag\">add-on</span>" : "").Append("</td><td>").Append(E(s.Status))
                .Append(s.PastDue ? " <span class=\"flag\">past due</span>" : "").Append("</td><td>");
            if (s.CurrentPeriodStart is not null || s.CurrentPeriodEnd is not null)
            {
                sb.Append(When(s.CurrentPeriodStart, v.Now)).Append(" → ").Append(When(s.CurrentPeriodEnd, v.Now));
            }
            else
            {
                sb.Append("<span class=\"muted\">no period</span>");
            }
            sb.Append("</td><td>").Append(When(s.StartedAt, v.Now)).Append("</td><td>");
            sb.Append(s.CanceledAt is not null ? "canceled " + When(s.CanceledAt, v.Now) : s.ExpiresAt is not null ? When(s.ExpiresAt, v.Now) : "—");
            sb.Append("</td>");
            if (CustomerActions.CanCancel)
            {
                sb.Append("<td>");
                if (s.CanceledAt is null && s.Status == "active")
                {
                    CustomerActions.CancelForm(sb, c.Id ?? "", s.PlanId, session);
                }
                sb.Append("</td>");
            }
            sb.Append("</tr>");
        }
        foreach (var p in c.Purchases)
        {
            sb.Append("<tr data-plan=\"").Append(E(p.PlanId)).Append("\"><td>").Append(E(p.PlanId)).Append(" <span class=\"flag\">one-off</span></td>")
                .Append("<td>purchased</td><td>—</td><td>").Append(When(p.StartedAt, v.Now)).Append("</td><td>")
                .Append(p.ExpiresAt is null ? "—" : When(p.ExpiresAt, v.Now)).Append("</td>")
                .Append(CustomerActions.CanCancel ? "<td></td>" : "").Append("</tr>");
        }
        sb.Append("</tbody></table>");
    }

    public static void Balances(StringBuilder sb, CustomerView v)
    {
        var c = v.Customer;
        sb.Append("<h2>Features</h2>");
        if (c.Balances.Count == 0 && c.Flags.Count == 0)
        {
            sb.Append("<p class=\"muted\">No balances or features.</p>");
            return;
        }
        sb.Append("<div class=\"cards\">");
        foreach (var (featureId, b) in c.Balances.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Card(sb, featureId, b, v);
        }
        foreach (var (featureId, f) in c.Flags.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append("<section class=\"card\" data-feature=\"").Append(E(featureId)).Append("\"><h3>").Append(E(Name(v, featureId)))
                .Append("</h3><p>Enabled").Append(f.PlanId is null ? "" : " by plan <code>" + E(f.PlanId) + "</code>");
            if (f.ExpiresAt is not null)
            {
                sb.Append(", expires ").Append(When(f.ExpiresAt, v.Now));
            }
            sb.Append("</p></section>");
        }
        sb.Append("</div>");
    }

    private static string Name(CustomerView v, string featureId) => v.Features.FirstOrDefault(f => f.Id == featureId)?.Name is { Length: > 0 } n ? n : featureId;

    private static void Card(StringBuilder sb, string featureId, Balance b, CustomerView v)
    {
        sb.Append("<section class=\"card\" data-feature=\"").Append(E(featureId)).Append("\" aria-labelledby=\"f-").Append(E(featureId))
            .Append("\"><h3 id=\"f-").Append(E(featureId)).Append("\">").Append(E(Name(v, featureId))).Append(" <code class=\"muted\">")
            .Append(E(featureId)).Append("</code></h3>");
        if (b.Unlimited)
        {
            sb.Append("<span class=\"flag\" data-flag=\"unlimited\">unlimited</span>");
        }
        if (b.OverageAllowed)
        {
            sb.Append("<span class=\"flag\" data-flag=\"overage\">overage allowed</span>");
        }
        sb.Append("<dl>");
        Number(sb, "Granted", "granted", b.Granted);
        Number(sb, "Remaining", "remaining", b.Remaining);
        Number(sb, "Usage", "usage", b.Usage);
        sb.Append("<dt>Next reset</dt><dd>").Append(When(b.NextResetAt, v.Now)).Append("</dd></dl>");
        if (!b.Unlimited && b.Granted > 0)
        {
            var used = Math.Clamp(b.Usage, 0, b.Granted);
            sb.Append($"<progress max=\"{Raw(b.Granted)}\" value=\"{Raw(used)}\" aria-label=\"Usage of {E(featureId)}\">")
                .Append(Num(used)).Append(" of ").Append(Num(b.Granted)).Append("</progress>");
        }
        if (b.Breakdown is { Count: > 0 } breakdown)
        {
            sb.Append("<table class=\"breakdown\"><caption class=\"visually-hidden\">Sources</caption><thead><tr><th>Source</th>")
                .Append("<th class=\"num\">Granted</th><th class=\"num\">Remaining</th><th>Resets</th></tr></thead><tbody>");
            foreach (var part in breakdown)
            {
                sb.Append("<tr><td>").Append(part.PlanId is null ? "balance <code>" + E(part.Id) + "</code>" : "plan <code>" + E(part.PlanId) + "</code>")
                    .Append("</td><td class=\"num\">").Append(part.Unlimited ? "∞" : Num(part.IncludedGrant + part.PrepaidGrant))
                    .Append("</td><td class=\"num\">").Append(Num(part.Remaining)).Append("</td><td>")
                    .Append(part.Reset is { } r ? E(r.Interval) + (r.ResetsAt is null ? "" : ", " + When(r.ResetsAt, v.Now)) : "—")
                    .Append("</td></tr>");
            }
            sb.Append("</tbody></table>");
        }
        var perEntity = v.Entities.Where(e => e.Balances.ContainsKey(featureId)).ToList();
        if (perEntity.Count > 0)
        {
            sb.Append("<table class=\"entities\"><caption class=\"visually-hidden\">By entity</caption><thead><tr><th>Entity</th>")
                .Append("<th class=\"num\">Remaining</th><th class=\"num\">Usage</th></tr></thead><tbody>");
            foreach (var e in perEntity)
            {
                var eb = e.Balances[featureId];
                sb.Append("<tr><td>").Append(E(e.Name ?? e.Id)).Append("</td><td class=\"num\">").Append(Num(eb.Remaining))
                    .Append("</td><td class=\"num\">").Append(Num(eb.Usage)).Append("</td></tr>");
            }
            sb.Append("</tbody></table>");
        }
        sb.Append("</section>");
    }

    private static void Number(StringBuilder sb, string label, string field, decimal value) =>
        sb.Append("<dt>").Append(label).Append("</dt><dd data-field=\"").Append(field).Append("\" data-value=\"").Append(Raw(value)).Append("\">")
            .Append(Num(value)).Append("</dd>");

    public static void Events(StringBuilder sb, CustomerView v)
    {
        sb.Append("<h2>Latest events</h2>");
        if (v.Events.Count == 0)
        {
            sb.Append("<p class=\"muted\">No events yet.</p>");
            return;
        }
        sb.Append("<table id=\"events\"><thead><tr><th>When</th><th>Feature</th><th>Entity</th><th class=\"num\">Value</th></tr></thead><tbody>");
        foreach (var e in v.Events)
        {
            sb.Append("<tr><td>").Append(When(e.Timestamp, v.Now)).Append("</td><td>").Append(E(e.FeatureId)).Append("</td><td>")
                .Append(E(e.EntityId ?? "—")).Append("</td><td class=\"num\">").Append(Num(e.Value)).Append("</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    public static void Actions(StringBuilder sb, CustomerView v, DashboardSession session)
    {
        var id = U(v.Customer.Id);
        sb.Append("<h2>Actions</h2><div class=\"actions\">");
        var metered = v.Customer.Balances.Keys.Order(StringComparer.Ordinal).ToList();
        if (metered.Count > 0)
        {
            sb.Append($"<form method=\"post\" action=\"/dashboard/customers/{id}\" id=\"update-balance\" data-confirm=\"Change this balance?\">")
                .Append(Csrf(session)).Append(Idempotency()).Append("<input type=\"hidden\" name=\"action\" value=\"balance\">")
                .Append("<strong>Set or add to a balance</strong>").Append(Select("feature_id", "Feature", metered))
                .Append("<label for=\"mode\">Operation</label><select id=\"mode\" name=\"mode\"><option value=\"set\">Set remaining to</option>")
                .Append("<option value=\"add\">Add to remaining</option></select>")
                .Append("<label for=\"amount\">Amount</label><input id=\"amount\" name=\"amount\" inputmode=\"decimal\" required maxlength=\"40\">")
                .Append("<button type=\"submit\">Update balance</button></form>");
        }
        var grantable = v.Features.Where(f => f.Type != "boolean" && !f.Archived).Select(f => f.Id).ToList();
        if (grantable.Count > 0)
        {
            sb.Append($"<form method=\"post\" action=\"/dashboard/customers/{id}\" id=\"grant-balance\" data-confirm=\"Grant this balance?\">")
                .Append(Csrf(session)).Append(Idempotency()).Append("<input type=\"hidden\" name=\"action\" value=\"grant\">")
                .Append("<strong>Grant a balance</strong>").Append(Select("feature_id", "Feature", grantable, "grant-feature"))
                .Append("<label for=\"grant-amount\">Amount</label><input id=\"grant-amount\" name=\"amount\" inputmode=\"decimal\" required maxlength=\"40\">")
                .Append("<label for=\"interval\">Resets</label><select id=\"interval\" name=\"interval\"><option value=\"\">never</option>");
            foreach (var interval in new[] { "day", "week", "month", "year" })
            {
                sb.Append("<option value=\"").Append(interval).Append("\">every ").Append(interval).Append("</option>");
            }
            sb.Append("</select><button type=\"submit\">Grant balance</button></form>");
        }
        var plans = v.Plans.Where(p => !p.Archived).Select(p => p.Id).ToList();
        if (plans.Count > 0)
        {
            sb.Append($"<form method=\"post\" action=\"/dashboard/customers/{id}\" id=\"attach-plan\" data-confirm=\"Attach this plan?\">")
                .Append(Csrf(session)).Append(Idempotency()).Append("<input type=\"hidden\" name=\"action\" value=\"attach\">")
                .Append("<strong>Attach a plan</strong>").Append(Select("plan_id", "Plan", plans))
                .Append("<button type=\"submit\">Attach plan</button></form>");
        }
        sb.Append("</div>");
    }

    private static string Select(string name, string label, IEnumerable<string> values, string? id = null)
    {
        id ??= name;
        var sb = new StringBuilder();
        sb.Append("<label for=\"").Append(id).Append("\">").Append(label).Append("</label><select id=\"").Append(id).Append("\" name=\"")
            .Append(name).Append("\">");
        foreach (var v in values)
        {
            sb.Append("<option value=\"").Append(E(v)).Append("\">").Append(E(v)).Append("</option>");
        }
        return sb.Append("</select>").ToString();
    }
}
