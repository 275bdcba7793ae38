using System.Text;
using Tally.Core.Domain;
using static Tally.Server.Dashboard.Html;

namespace Tally.Server.Dashboard;

/// <summary>The usage-over-time chart of the customer page: one series per feature over the chosen range.</summary>
internal sealed record UsageChart(long[] X, IReadOnlyList<(string Feature, decimal[] Values)> Series)
{
    public const string Ranges = "24h, 7d, 30d, 90d";
    public const string DefaultRange = "7d";

    public static bool TryRange(string? range, out TimeSpan span)
    {
        span = (range ?? DefaultRange) switch
        {
            "24h" => TimeSpan.FromHours(24),
            "7d" => TimeSpan.FromDays(7),
            "30d" => TimeSpan.FromDays(30),
            "90d" => TimeSpan.FromDays(90),
            _ => TimeSpan.Zero,
        };
        return span > TimeSpan.Zero;
    }

    /// <summary>
    /// The chart comes from events.aggregate, which this build does not have yet: until it does there is no chart
    /// (rather than one drawn from another source).
    /// </summary>
    public static Task<UsageChart?> LoadAsync(HttpContext http, TenantId tenant, string customerId, TimeSpan span) =>
        Task.FromResult<UsageChart?>(null);

    public static void Section(StringBuilder sb, UsageChart? chart, string customerId, string range)
    {
        if (chart is null)
        {
            return;
        }
        sb.Append("<h2>Usage over time</h2><nav class=\"ranges\" aria-label=\"Range\">");
        foreach (var r in new[] { "24h", "7d", "30d", "90d" })
        {
            sb.Append($"<a href=\"/dashboard/customers/{U(customerId)}?range={r}\"").Append(r == range ? " aria-current=\"page\"" : "").Append('>')
                .Append(r).Append("</a>");
        }
        sb.Append("</nav><div id=\"chart\" data-points=\"").Append(chart.X.Length).Append("\" data-series=\"").Append(chart.Series.Count)
            .Append("\"></div><script type=\"application/json\" id=\"chart-data\">{\"x\":[");
        sb.AppendJoin(',', chart.X).Append("],\"series\":[");
        for (var i = 0; i < chart.Series.Count; i++)
        {
            var (feature, values) = chart.Series[i];
            sb.Append(i == 0 ? "" : ",").Append("{\"label\":\"").Append(System.Text.Json.JsonEncodedText.Encode(feature).ToString()).Append('"')
                .Append(",\"values\":[").AppendJoin(',', values.Select(Raw)).Append("]}");
        }
        sb.Append("]}</script>");
    }
}
