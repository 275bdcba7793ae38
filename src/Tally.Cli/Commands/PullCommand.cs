using System.CommandLine;
using System.Text.Json.Nodes;
using Tally.CatalogFile;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally pull [file]</c>: writes the server's catalog (features and the latest version of each plan, archived ones
/// left out) as a catalog file that pushes back as "no changes".
/// </summary>
internal static class PullCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var file = CatalogFileArgs.File();
        var yes = CatalogFileArgs.Yes("overwriting the file");
        var command = new Command("pull", "Write the server's catalog to the file") { file, yes };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var (features, plans) = await CatalogSource.ReadServerAsync(ctx.Client(), ct).ConfigureAwait(false);
            // The same forms and header the dashboard's tally.yaml view writes; the forms also feed --json below.
            var (featureForms, planForms) = PulledCatalog.Forms(features, plans);
            var yaml = YamlCatalogWriter.Write(featureForms, planForms, PulledCatalog.Header);
            var path = io.PathOf(parse.GetValue(file)!);
            var written = await CatalogFileArgs.WriteAsync(ctx, path, yaml, parse.GetValue(yes)).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(new JsonObject
                {
                    ["file"] = path,
                    ["written"] = written,
                    ["features"] = new JsonArray([.. featureForms]),
                    ["plans"] = new JsonArray([.. planForms]),
                })).ConfigureAwait(false);
            }
            else if (written)
            {
                await io.Out.WriteLineAsync($"Wrote {featureForms.Count} feature(s) and {planForms.Count} plan(s) to {path}.").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
