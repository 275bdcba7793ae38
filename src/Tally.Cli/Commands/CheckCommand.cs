using System.CommandLine;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally check --customer ID --feature F [--required N]</c>: asks whether the customer may use the feature. The exit
/// code stays 0 when the answer is "not allowed": that is an answer, not an error (scripts read <c>--json</c>).
/// </summary>
internal static class CheckCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var customer = new Option<string>("--customer") { Description = "Customer id", Required = true };
        var feature = new Option<string>("--feature") { Description = "Feature id", Required = true };
        var entity = new Option<string?>("--entity") { Description = "Entity to check" };
        var required = new Option<decimal?>("--required") { Description = "Balance needed (default 1)" };
        var command = new Command("check", "Check access to a feature") { customer, feature, entity, required };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var answer = await ctx.Client().Balances.CheckAsync(new CheckParams
            {
                CustomerId = parse.GetValue(customer)!,
                FeatureId = parse.GetValue(feature)!,
                EntityId = parse.GetValue(entity),
                RequiredBalance = parse.GetValue(required),
            }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(answer, TallyJsonContext.Default.CheckResponse)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            ctx.Console.MarkupLine(answer.Allowed ? "[green]allowed[/]" : "[red]not allowed[/]");
            if (answer.Balance is { } b)
            {
                ctx.Console.Write(Tables.Balances([b]));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
