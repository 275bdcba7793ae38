using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tally.Cli.Catalog;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally push [file]</c>: shows how the server's catalog differs from the file (create / update / new plan version /
/// unchanged), asks, and applies the changes in dependency order (features before the credit systems and plans that
/// name them). Entries only on the server are listed and left alone.
/// </summary>
internal static class PushCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var file = CatalogFileArgs.File();
        var yes = CatalogFileArgs.Yes("applying the changes (for CI)");
        var command = new Command("push", "Make the server's catalog match the file") { file, yes };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var name = parse.GetValue(file)!;
            var spec = await CatalogSource.ReadFileAsync(io, name).ConfigureAwait(false);
            var client = ctx.Client();
            var (features, plans) = await CatalogSource.ReadServerAsync(client, ct).ConfigureAwait(false);
            var (changes, warnings) = CatalogPlanner.Plan(spec, features, plans);
            var pending = changes.Where(c => c.Applies).ToList();
            if (!ctx.Json)
            {
                Show(ctx, name, changes, warnings);
            }
            else
            {
                foreach (var w in warnings)
                {
                    await io.Err.WriteLineAsync($"warning: {w}").ConfigureAwait(false);
                }
            }
            var results = new JsonArray();
            var applied = false;
            if (pending.Count > 0 && (parse.GetValue(yes) || await ctx.ConfirmAsync($"Apply {pending.Count} change(s)?").ConfigureAwait(false)))
            {
                foreach (var change in pending)
                {
                    var (outcome, answer) = await change.Apply!(client, ct).ConfigureAwait(false);
                    results.Add(answer);
                    if (!ctx.Json)
                    {
                        ctx.Console.MarkupLine($"[green]✓[/] {change.Kind} {Markup.Escape(change.Id)}: {Markup.Escape(outcome)}");
                    }
                }
                applied = true;
            }
            else if (pending.Count > 0)
            {
                await io.Err.WriteLineAsync("Nothing applied.").ConfigureAwait(false);
            }
            if (ctx.Json)
            {
                var report = new JsonObject
                {
                    ["file"] = name,
                    ["changes"] = new JsonArray([.. changes.Select(c => (JsonNode)new JsonObject
                    {
                        ["kind"] = c.Kind,
                        ["id"] = c.Id,
                        ["action"] = c.ActionName,
                        ["details"] = new JsonArray([.. c.Details.Select(d => (JsonNode?)JsonValue.Create(d))]),
                    })]),
                    ["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode?)JsonValue.Create(w))]),
                    ["applied"] = applied,
                    ["results"] = results,
                };
                await ctx.WriteJsonAsync(Output.Json(report)).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Show(CliContext ctx, string file, List<Change> changes, List<string> warnings)
    {
        var console = ctx.Console;
        foreach (var c in changes)
        {
            var id = Markup.Escape(c.Id);
            var line = c.Action switch
            {
                ChangeAction.Create => $"[green]+ create[/]    {c.Kind} {id}",
                ChangeAction.Update => $"[yellow]~ update[/]    {c.Kind} {id}",
                ChangeAction.UpdateBilling => $"[yellow]~ update[/]    {c.Kind} {id} [yellow](price/items: a new version if customers hold it, else in place)[/]",
                ChangeAction.Unchanged => $"[grey]= unchanged[/] {c.Kind} {id}",
                _ => $"[grey]? not in file[/] {c.Kind} {id} [grey](left alone)[/]",
            };
            console.MarkupLine(line);
            foreach (var d in c.Details)
            {
                console.MarkupLine($"      {Markup.Escape(d)}");
            }
        }
        foreach (var w in warnings)
        {
            console.MarkupLine($"[red]! warning:[/] {Markup.Escape(w)}");
        }
        var create = changes.Count(c => c.Action == ChangeAction.Create);
        var update = changes.Count(c => c.Action is ChangeAction.Update or ChangeAction.UpdateBilling);
        var same = changes.Count(c => c.Action == ChangeAction.Unchanged);
        console.MarkupLine(create + update == 0
            ? $"No changes: the server matches {Markup.Escape(file)} ({same} unchanged)."
            : $"{create} to create, {update} to update, {same} unchanged.");
    }
}
