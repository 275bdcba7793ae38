using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary><c>tally events list --customer ID [--feature F]</c>: a customer's recorded usage events, newest first.</summary>
internal static class EventsListCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var customer = new Option<string>("--customer") { Description = "Customer id", Required = true };
        var feature = new Option<string?>("--feature") { Description = "Only events of this feature or event name" };
        var limit = new Option<int>("--limit") { Description = "Page size", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "Cursor of the next page (printed under the table)" };
        var command = new Command("list", "List usage events") { customer, feature, limit, cursor };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var page = await ctx.Client().Events.ListAsync(new ListEventsParams
            {
                CustomerId = parse.GetValue(customer),
                FeatureId = parse.GetValue(feature) is { } f ? JsonSerializer.SerializeToElement(f, TallyJsonContext.Default.String) : null,
                Limit = parse.GetValue(limit),
                StartCursor = parse.GetValue(cursor),
            }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(page, TallyJsonContext.Default.CursorListResponseEventItem)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("time").AddColumn("feature").AddColumn(new TableColumn("value").RightAligned()).AddColumn("entity").AddColumn("id");
            foreach (var e in page.List)
            {
                table.AddRow(Output.Time(e.Timestamp), Markup.Escape(e.FeatureId), Output.Number(e.Value), Markup.Escape(e.EntityId ?? ""), Markup.Escape(e.Id));
            }
            ctx.Console.Write(table);
            ctx.Console.WriteLine(page.NextCursor is { } next ? $"More: add --cursor {next}" : $"{page.List.Count} event(s).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
