using System.CommandLine;
using System.Globalization;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally export usage --from DATE --to DATE [--format csv|json] [--customer ID]</c>: usage for invoicing per customer,
/// feature and calendar month (UTC), from <c>admin.export_usage</c>. Each row is written as it arrives, so a million
/// rows take constant memory; the summary goes to stderr so stdout is only the data.
/// </summary>
internal static class ExportCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var from = new Option<string>("--from") { Description = "Start, inclusive: 2026-01-01 (UTC midnight), an ISO 8601 time, or epoch ms", Required = true };
        var to = new Option<string>("--to") { Description = "End, exclusive (same forms as --from)", Required = true };
        var format = new Option<string>("--format") { Description = "csv or json (one JSON object per line)", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");
        var customer = new Option<string?>("--customer") { Description = "Only this customer" };
        var usage = new Command("usage", "Usage, included and overage per customer, feature and calendar month (UTC)") { from, to, format, customer };
        usage.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var request = new ExportUsageParams
            {
                From = ParseTime("--from", parse.GetValue(from)),
                To = ParseTime("--to", parse.GetValue(to)),
                CustomerId = parse.GetValue(customer),
            };
            var csv = parse.GetValue(format) != "json" && !ctx.Json;
            if (csv)
            {
                await io.Out.WriteLineAsync("customer_id,feature_id,period_start,period_end,usage,included,overage").ConfigureAwait(false);
            }
            UsageExportLine? done = null;
            await foreach (var line in ctx.Client().Admin.ExportUsageAsync(request, ct).ConfigureAwait(false))
            {
                if (line.Type == "done")
                {
                    done = line;
                }
                else if (line.Type == "row")
                {
                    await io.Out.WriteLineAsync(csv ? Csv(line) : System.Text.Json.JsonSerializer.Serialize(line, TallyJsonContext.Default.UsageExportLine))
                        .ConfigureAwait(false);
                }
            }
            if (done is null)
            {
                await io.Err.WriteLineAsync("error: the export ended before its closing line; the output is incomplete").ConfigureAwait(false);
                return ExitCodes.ApiError;
            }
            await io.Err.WriteLineAsync($"Exported {done.Rows} row(s) for {done.Customers} customer(s).").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        var export = new Command("export", "Export data for invoicing.");
        export.Subcommands.Add(usage);
        return export;
    }

    /// <summary>A date (UTC midnight), an ISO 8601 time (UTC when it has no offset) or epoch milliseconds.</summary>
    public static long ParseTime(string option, string? text)
    {
        var s = (text ?? "").Trim();
        if (s.Length > 0 && s.All(char.IsAsciiDigit) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return ms;
        }
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t.ToUnixTimeMilliseconds();
        }
        throw new UsageException($"{option}: '{text}' is not a date (2026-01-01), an ISO 8601 time or epoch milliseconds");
    }

    private static string Csv(UsageExportLine r) => string.Join(',',
        Field(r.CustomerId ?? ""), Field(r.FeatureId ?? ""), Iso(r.PeriodStart), Iso(r.PeriodEnd),
        Output.Number(r.Usage ?? 0), r.Included is { } i ? Output.Number(i) : "unlimited", Output.Number(r.Overage ?? 0));

    private static string Iso(long? ms) =>
        ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "";

    /// <summary>RFC 4180 quoting; a leading formula character is neutralised so a spreadsheet shows the id, not runs it.</summary>
    private static string Field(string value)
    {
        var v = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return v.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
    }
}
