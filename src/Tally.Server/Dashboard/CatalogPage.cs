using System.Text;
using Tally.CatalogFile;
using Tally.Contracts;
using Tally.Server.Api.Features;
using Tally.Server.Api.Plans;
using static Tally.Server.Dashboard.Html;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Dashboard;

/// <summary>The catalog, read-only: the current version of every feature and plan, as features.list and plans.list give them.</summary>
internal static class CatalogPage
{
    public static async Task<IResult> RenderAsync(HttpContext http)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        var (features, plans, error) = await ReadAsync(http, session).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var sb = new StringBuilder(4096);
        sb.Append("<h1>Catalog</h1><h2>Features</h2>");
        Features(sb, features);
        sb.Append("<h2>Plans</h2>");
        Plans(sb, plans);
        sb.Append("<h2 id=\"yaml\">As <code>tally.yaml</code></h2><p>What <code>tally pull</code> writes for this catalog; ")
            .Append("<code>tally push</code> of this file changes nothing. <a href=\"/dashboard/catalog/tally.yaml\" download=\"tally.yaml\">Download tally.yaml</a></p>")
            .Append("<pre id=\"tally-yaml\" tabindex=\"0\">").Append(E(PulledCatalog.Yaml(features, plans))).Append("</pre>");
        return Page(Layout("Catalog", session, sb.ToString()));
    }

    /// <summary><c>/dashboard/catalog/tally.yaml</c>: the same text as a file, for <c>tally push</c> or version control.</summary>
    public static async Task<IResult> YamlAsync(HttpContext http)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        var (features, plans, error) = await ReadAsync(http, session).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        Secure(http);
        http.Response.Headers.ContentDisposition = "attachment; filename=\"tally.yaml\"";
        return Results.Bytes(System.Text.Encoding.UTF8.GetBytes(PulledCatalog.Yaml(features, plans)), "text/yaml; charset=utf-8");
    }

    private static async Task<(List<Feature> Features, List<Plan> Plans, IResult? Error)> ReadAsync(HttpContext http, DashboardSession session)
    {
        var t = session.Tenant;
        var features = await InProcess.RunAsync(http, t, "features.list", new EmptyParams(), C.Default.EmptyParams, ListFeatures.Handle,
            C.Default.ListResponseFeature).ConfigureAwait(false);
        var plans = await InProcess.RunAsync(http, t, "plans.list", new ListPlansParams(), C.Default.ListPlansParams, ListPlans.Handle,
            C.Default.ListResponsePlan).ConfigureAwait(false);
        if (!features.Ok || !plans.Ok)
        {
            return ([], [], DashboardEndpoints.Problem(features.Ok ? plans.Status : features.Status, (features.Error ?? plans.Error)!, session));
        }
        return (features.Value!.List, plans.Value!.List, null);
    }

    private static void Features(StringBuilder sb, List<Feature> features)
    {
        if (features.Count == 0)
        {
            sb.Append("<p class=\"muted\">No features yet.</p>");
            return;
        }
        sb.Append("<table id=\"features\"><thead><tr><th>Feature</th><th>Name</th><th>Type</th><th>Details</th></tr></thead><tbody>");
        foreach (var f in features)
        {
            sb.Append("<tr data-feature=\"").Append(E(f.Id)).Append("\"><td><code>").Append(E(f.Id)).Append("</code></td><td>").Append(E(f.Name))
                .Append("</td><td>").Append(E(f.Type)).Append(f.Type == "metered" ? (f.Consumable ? " (consumable)" : " (allocated)") : "")
                .Append("</td><td>");
            if (f.Archived)
            {
                sb.Append("<span class=\"flag\">archived</span>");
            }
            if (f.EventNames is { Count: > 0 } names)
            {
                sb.Append("events: ").Append(E(string.Join(", ", names)));
            }
            if (f.CreditSchema is { Count: > 0 } schema)
            {
                sb.Append("credits: ").Append(E(string.Join(", ", schema.Select(s => $"{s.MeteredFeatureId} × {Num(s.CreditCost ?? 0)}"))));
            }
            sb.Append("</td></tr>");
        }
        sb.Append("</tbody></table>");
    }

    private static void Plans(StringBuilder sb, List<Plan> plans)
    {
        if (plans.Count == 0)
        {
            sb.Append("<p class=\"muted\">No plans yet.</p>");
            return;
        }
        sb.Append("<div class=\"cards\">");
        foreach (var p in plans)
        {
            sb.Append("<section class=\"card\" data-plan=\"").Append(E(p.Id)).Append("\"><h3>").Append(E(p.Name)).Append(" <code class=\"muted\">")
                .Append(E(p.Id)).Append("</code></h3><p>version ").Append(p.Version);
            if (p.Group is { Length: > 0 })
            {
                sb.Append(" · group ").Append(E(p.Group));
            }
            sb.Append(p.AddOn ? " · add-on" : "").Append(p.AutoEnable ? " · auto-enabled" : "");
            if (p.Price is { } price)
            {
                sb.Append(" · ").Append(Num(price.Amount)).Append(" per ").Append(E(price.Interval));
            }
            sb.Append("</p>");
            if (p.Items.Count > 0)
            {
                sb.Append("<table><thead><tr><th>Feature</th><th class=\"num\">Included</th><th>Resets</th><th>Price</th></tr></thead><tbody>");
                foreach (var i in p.Items)
                {
                    sb.Append("<tr><td>").Append(E(i.FeatureId)).Append("</td><td class=\"num\">").Append(i.Unlimited ? "unlimited" : Num(i.Included))
                        .Append("</td><td>").Append(i.Reset is { } r ? E((r.IntervalCount is > 1 ? r.IntervalCount + " × " : "") + r.Interval) : "—")
                        .Append("</td><td>").Append(i.Price is { Amount: { } a } ip ? Num(a) + " per " + E(ip.Interval) : i.Price is not null ? "tiered" : "—")
                        .Append("</td></tr>");
                }
                sb.Append("</tbody></table>");
            }
            sb.Append("</section>");
        }
        sb.Append("</div>");
    }
}
