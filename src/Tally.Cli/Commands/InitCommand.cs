using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tally.Cli.Commands;

/// <summary><c>tally init [file]</c>: writes a commented example catalog that push accepts as it is.</summary>
internal static class InitCommand
{
    public const string Example = """
        # Tally catalog as code. `tally push` makes the server match this file; `tally pull` writes the server's
        # catalog here. Field names are the API's own (features.create / plans.create bodies).

        features:
          # A metered feature that is used up and resets (consumable: true), e.g. messages sent.
          - feature_id: messages
            name: Messages
            type: metered
            consumable: true
            event_names: [message_sent]   # track with event_name: message_sent as well as feature_id: messages
          # A metered feature that is held, not used up (consumable: false), e.g. seats.
          - feature_id: seats
            name: Seats
            type: metered
            consumable: false
          # An on/off feature.
          - feature_id: sso
            name: SSO
            type: boolean

        plans:
          - plan_id: free
            name: Free
            auto_enable: true             # every new customer gets it
            items:
              - feature_id: messages
                included: 100
                reset: { interval: month }
              - feature_id: seats
                included: 1
          - plan_id: pro
            name: Pro
            price: { amount: 20, interval: month }
            items:
              - feature_id: messages
                included: 1000
                reset: { interval: month }
                rollover: { max: 500, expiry_duration_type: month }
                price:                    # beyond the 1000 included: 1 per 100 messages, billed monthly on usage
                  amount: 1
                  billing_units: 100
                  interval: month
                  billing_method: usage_based
              - feature_id: seats
                unlimited: true
              - feature_id: sso
        """;

    public static Command Build(GlobalOptions g, CliIo io)
    {
        var file = CatalogFileArgs.File();
        var yes = CatalogFileArgs.Yes("overwriting an existing file");
        var command = new Command("init", "Write a commented example catalog file") { file, yes };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var path = io.PathOf(parse.GetValue(file)!);
            if (!await CatalogFileArgs.WriteAsync(ctx, path, Example + "\n", parse.GetValue(yes)).ConfigureAwait(false))
            {
                return ExitCodes.Ok;
            }
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(new JsonObject { ["written"] = path })).ConfigureAwait(false);
            }
            else
            {
                await io.Out.WriteLineAsync($"Wrote {path}. Edit it, then run: tally push").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
