using System.Text;
using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Events;
using static Tally.Server.Dashboard.Html;
using C = Tally.Contracts.TallyJsonContext;

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
    /// The chart is events.aggregate itself, for the customer's metered features over the range (hourly bins for 24h,
    /// daily otherwise, as the route bins by default); null when the customer has no metered feature.
    /// </summary>
    public static async Task<(UsageChart? Chart, string Range)> LoadAsync(HttpContext http, TenantId tenant, Contracts.Customer customer,
        string? asked, bool hasEvents)
    {
        var chart = await LoadAsync(http, tenant, customer, asked ?? DefaultRange).ConfigureAwait(false);
        if (asked is not null || !hasEvents)
        {
            return (chart, asked ?? DefaultRange);
        }
        // Unasked, a customer whose usage is all older than a week (say one moved on by a test clock, as the README's
        // quickstart does) gets the shortest longer range that shows it, rather than a flat line.
        foreach (var longer in new[] { "30d", "90d" })
        {
            if (chart is null || chart.Series.Any(s => s.Values.Any(v => v != 0)))
            {
                break;
            }
            chart = await LoadAsync(http, tenant, customer, longer).ConfigureAwait(false);
            asked = longer;
        }
        return (chart, asked ?? DefaultRange);
    }

    private static async Task<UsageChart?> LoadAsync(HttpContext http, TenantId tenant, Contracts.Customer customer, string range)
    {
        var features = customer.Balances.Keys.Order(StringComparer.Ordinal).ToList();
        if (features.Count == 0 || customer.Id is null)
        {
            return null;
        }
        var request = new AggregateEventsParams
        {
            CustomerId = customer.Id,
            FeatureId = JsonSerializer.SerializeToElement(features, C.Default.ListString),
            Range = range,
        };
        var answer = await InProcess.RunAsync(http, tenant, "events.aggregate", request, C.Default.AggregateEventsParams, AggregateEvents.Handle,
            C.Default.AggregateEventsResponse).ConfigureAwait(false);
        if (!answer.Ok)
        {
            return null;
        }
        var periods = answer.Value!.List;
        return new UsageChart([.. periods.Select(p => p.Period / 1000)],
            [.. features.Select(f => (f, periods.Select(p => p.Values.GetValueOrDefault(f)).ToArray()))]);
    }

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
