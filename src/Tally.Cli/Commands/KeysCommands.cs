using System.CommandLine;
using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally keys create|list|revoke</c>: the secret keys of the calling key's organization and environment
/// (<c>keys.*</c>). The secret of a new key is printed once; the server keeps only its hash.
/// </summary>
internal static class KeysCommands
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var keys = new Command("keys", "Create, list and revoke secret keys of this environment.");
        keys.Subcommands.Add(Create(g, io));
        keys.Subcommands.Add(List(g, io));
        keys.Subcommands.Add(Revoke(g, io));
        return keys;
    }

    private static Command Create(GlobalOptions g, CliIo io)
    {
        var name = new Option<string>("--name") { Description = "Name of the key (1-256 characters)", Required = true };
        var command = new Command("create", "Create a secret key; its secret is shown once") { name };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var value = parse.GetValue(name) ?? "";
            if (value.Length == 0)
            {
                throw new UsageException("--name: must not be empty");
            }
            var key = await ctx.Client().Keys.CreateAsync(new CreateKeyParams { Name = value }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(key, TallyJsonContext.Default.CreatedApiKey)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            // The secret alone on stdout, so `tally keys create --name ci > key.txt` captures just it.
            await io.Err.WriteLineAsync($"Created {key.Id} ({key.Name}, {key.Env}). The secret is shown once:").ConfigureAwait(false);
            await io.Out.WriteLineAsync(key.Secret).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(GlobalOptions g, CliIo io)
    {
        var command = new Command("list", "List the keys of this environment, active and revoked (never a secret)");
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var list = await ctx.Client().Keys.ListAsync(ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(list, TallyJsonContext.Default.ListResponseApiKey)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("id").AddColumn("name").AddColumn("prefix").AddColumn("source")
                .AddColumn("created").AddColumn("last used").AddColumn("status");
            foreach (var k in list.List)
            {
                table.AddRow(Markup.Escape(k.Id), Markup.Escape(k.Name), Markup.Escape(k.Prefix ?? ""), Markup.Escape(k.Source),
                    Output.Time(k.CreatedAt), Output.Time(k.LastUsedAt), k.RevokedAt is { } r ? $"revoked {Output.Time(r)}" : "active");
            }
            ctx.Console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(GlobalOptions g, CliIo io)
    {
        var id = new Argument<string>("id") { Description = "Id of the key (key_…)" };
        var yes = new Option<bool>("--yes") { Description = "Revoke without asking" };
        var command = new Command("revoke", "Revoke a key: it stops working at once") { id, yes };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var keyId = parse.GetValue(id) ?? "";
            if (keyId.Length == 0)
            {
                throw new UsageException("id: must not be empty");
            }
            if (!parse.GetValue(yes) && !await ctx.ConfirmAsync($"Revoke {keyId}?").ConfigureAwait(false))
            {
                await io.Err.WriteLineAsync("Nothing revoked.").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var key = await ctx.Client().Keys.RevokeAsync(new RevokeKeyParams { Id = keyId }, ct).ConfigureAwait(false);
            if (ctx.Json)
            {
                await ctx.WriteJsonAsync(Output.Json(key, TallyJsonContext.Default.ApiKey)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            await io.Out.WriteLineAsync($"Revoked {key.Id} ({key.Name}).").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
