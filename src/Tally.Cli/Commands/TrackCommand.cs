using System.CommandLine;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary><c>tally track --customer ID (--feature F | --event E) [--value N]</c>: records usage by hand.</summary>
internal static class TrackCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var customer = new Option<string>("--customer") { Description = "Customer id", Required = true };
        var feature = new Option<string?>("--feature") { Description = "Feature to deduct from" };
        var eventName = new Option<string?>("--event") { Description = "Event name (charges every feature that lists it)" };
        var entity = new Option<string?>("--entity") { Description = "Entity to charge" };
        var value = new Option<decimal>("--value") { Description = "Amount (negative refunds)", DefaultValueFactory = _ => 1m };
        var command = new Command("track", "Record usage") { customer, feature, eventName, entity, value };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(feature) is null) == (r.GetValue(eventName) is null))
            {
                r.AddError("give exactly one of --feature and --event");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var answer = await ctx.Client().Balances.TrackAsync(new TrackParams
            {
                CustomerId = parse.GetValue(customer)!,
                FeatureId = parse.GetValue(feature),
                EventName = parse.GetValue(eventName),
                EntityId = parse.GetValue(entity),
                Value = parse.GetValue(value),
            }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(answer, TallyJsonContext.Default.BalancesTrackResponse)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            ctx.Console.WriteLine($"Tracked {Output.Number(answer.Value)} for {answer.CustomerId}.");
            var balances = answer.Balances?.Values.OfType<Balance>().ToList() ?? [];
            if (answer.Balance is { } b && balances.All(x => x.FeatureId != b.FeatureId))
            {
                balances.Add(b);
            }
            if (balances.Count > 0)
            {
                ctx.Console.Write(Tables.Balances(balances));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
