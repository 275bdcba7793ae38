using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally usage --customer ID --feature F [--range R] [--bin-size B] [--entity E]</c>: a customer's usage of one
/// feature over time, from <c>events.aggregate</c>, drawn as one bar per period (label, bar, value).
/// </summary>
internal static class UsageCommand
{
    /// <summary>The relative windows <c>events.aggregate</c> knows (billing-cycle ones included).</summary>
    public static readonly string[] Ranges = ["24h", "7d", "30d", "90d", "last_cycle", "1bc", "3bc"];

    public static readonly string[] BinSizes = ["hour", "day", "week", "month"];

    /// <summary>Widest bar in characters; the largest period fills it and the others scale to it.</summary>
    public const int BarWidth = 40;

    public static Command Build(GlobalOptions g, CliIo io)
    {
        var customer = new Option<string>("--customer") { Description = "Customer id", Required = true };
        var feature = new Option<string>("--feature") { Description = "Feature id", Required = true };
        var range = new Option<string>("--range")
        {
            Description = $"Window ending now: {string.Join(", ", Ranges)}",
            DefaultValueFactory = _ => "30d",
        };
        range.AcceptOnlyFromAmong(Ranges);
        var binSize = new Option<string?>("--bin-size") { Description = "Period of one bar: hour, day, week or month (default: hour for 24h, else day)" };
        binSize.AcceptOnlyFromAmong(BinSizes);
        var entity = new Option<string?>("--entity") { Description = "Only usage recorded against this entity" };
        var command = new Command("usage", "Draw a customer's usage of a feature as a bar chart (events.aggregate)")
        {
            customer, feature, range, binSize, entity,
        };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var featureId = parse.GetValue(feature)!;
            var answer = await ctx.Client().Events.AggregateAsync(new AggregateEventsParams
            {
                CustomerId = parse.GetValue(customer),
                FeatureId = JsonSerializer.SerializeToElement(featureId, TallyJsonContext.Default.String),
                Range = parse.GetValue(range),
                BinSize = parse.GetValue(binSize),
                EntityId = parse.GetValue(entity),
            }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(answer, TallyJsonContext.Default.AggregateEventsResponse)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var bin = parse.GetValue(binSize) ?? (parse.GetValue(range) == "24h" ? "hour" : "day");
            ctx.Console.Write(new Text(Chart(answer, featureId, bin)));
            var total = answer.Total.GetValueOrDefault(featureId);
            ctx.Console.WriteLine($"Total {featureId}: {Thousands(total?.Sum ?? 0)} in {total?.Count ?? 0} event(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// One line per period: its label, a bar scaled to the largest period, and the value with thousands separators.
    /// Plain text rather than a widget, so piped output keeps one period per line whatever the terminal width.
    /// </summary>
    public static string Chart(AggregateEventsResponse answer, string featureId, string bin)
    {
        var rows = answer.List.Select(p => (Label: Label(p.Period, bin), Value: p.Values.GetValueOrDefault(featureId))).ToList();
        var max = rows.Count == 0 ? 0 : rows.Max(r => r.Value);
        var labelWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Label.Length);
        var valueWidth = rows.Count == 0 ? 0 : rows.Max(r => Thousands(r.Value).Length);
        var text = new StringBuilder();
        foreach (var (label, value) in rows)
        {
            // Zero and net-negative periods (refunds) draw no bar; any positive one draws at least one block.
            var length = max <= 0 || value <= 0 ? 0 : Math.Max(1, (int)Math.Round(value / max * BarWidth, MidpointRounding.AwayFromZero));
            text.Append(label.PadRight(labelWidth)).Append(" │")
                .Append(new string('█', length).PadRight(BarWidth)).Append(' ')
                .Append(Thousands(value).PadLeft(valueWidth)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A period's start (UTC) at the grain of its bin.</summary>
    public static string Label(long periodMs, string bin)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(periodMs).UtcDateTime;
        return bin switch
        {
            "hour" => t.ToString("yyyy-MM-dd HH:00", CultureInfo.InvariantCulture),
            "month" => t.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            _ => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
    }

    public static string Thousands(decimal value) => value.ToString("#,0.############", CultureInfo.InvariantCulture);
}
