using System.CommandLine;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary><c>tally customers get ID</c>: the customer, its plans and its balances as a table.</summary>
internal static class CustomersGetCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var id = new Argument<string>("id") { Description = "Customer id" };
        var command = new Command("get", "Show a customer and its balances") { id };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var c = await ctx.Client().Customers.GetAsync(new GetCustomerParams { CustomerId = parse.GetValue(id)! }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(c, TallyJsonContext.Default.Customer)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var console = ctx.Console;
            var who = string.Join(' ', new[] { c.Name, c.Email }.Where(s => !string.IsNullOrEmpty(s)));
            console.MarkupLine($"[bold]{Markup.Escape(c.Id ?? "(no id)")}[/] {Markup.Escape(who)} ({c.Env})".Replace("  ", " ", StringComparison.Ordinal));
            foreach (var s in c.Subscriptions)
            {
                console.MarkupLine($"plan {Markup.Escape(s.PlanId)}{(s.AddOn ? " (add-on)" : "")}: {Markup.Escape(s.Status)}");
            }
            if (c.Balances.Count == 0)
            {
                console.WriteLine("No balances.");
            }
            else
            {
                console.Write(Tables.Balances(c.Balances.Values));
            }
            if (c.Flags.Count > 0)
            {
                console.WriteLine($"Flags: {string.Join(", ", c.Flags.Keys.Order(StringComparer.Ordinal))}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
