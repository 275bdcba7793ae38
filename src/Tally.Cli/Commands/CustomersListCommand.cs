using System.CommandLine;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary><c>tally customers list [--search TEXT] [--limit N]</c>: one page of customers, newest first.</summary>
internal static class CustomersListCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var search = new Option<string?>("--search") { Description = "Only customers whose id, name or email contains this text" };
        var limit = new Option<int>("--limit") { Description = "Page size (1-1000)", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "Cursor of the next page (printed under the table)" };
        var command = new Command("list", "List customers") { search, limit, cursor };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var page = await ctx.Client().Customers.ListAsync(new ListCustomersParams
            {
                Search = parse.GetValue(search),
                Limit = parse.GetValue(limit),
                StartCursor = parse.GetValue(cursor),
            }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(page, TallyJsonContext.Default.CursorListResponseCustomer)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("id").AddColumn("name").AddColumn("email").AddColumn("plans").AddColumn("created");
            foreach (var c in page.List)
            {
                table.AddRow(Markup.Escape(c.Id ?? "(none)"), Markup.Escape(c.Name ?? ""), Markup.Escape(c.Email ?? ""),
                    Markup.Escape(string.Join(", ", c.Subscriptions.Select(s => s.PlanId))), Output.Time(c.CreatedAt));
            }
            ctx.Console.Write(table);
            ctx.Console.WriteLine(page.NextCursor is { } next ? $"More: tally customers list --cursor {next}" : $"{page.List.Count} customer(s).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
