using System.CommandLine;
using Tally.Cli.Commands;
using Tally.Client;

namespace Tally.Cli;

/// <summary>
/// The tally command line. <see cref="RunAsync"/> is the whole program: it parses, runs one command and maps the
/// outcome to an exit code (0 ok, 1 API error, 2 usage error).
/// </summary>
public static class Cli
{
    /// <summary>Default server when neither <c>--url</c> nor <c>TALLY_URL</c> is given (the server's own default).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Runs the command line <paramref name="args"/> against <paramref name="io"/> and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliIo io, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(io);
        var globals = new GlobalOptions();
        var root = BuildRoot(globals, io);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await io.Err.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }
            await io.Err.WriteLineAsync("Run 'tally --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        try
        {
            var config = new InvocationConfiguration { Output = io.Out, Error = io.Err, EnableDefaultExceptionHandler = false };
            return await parse.InvokeAsync(config, ct).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await io.Err.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (TallyApiException e)
        {
            await io.Err.WriteLineAsync($"error: {e.Code} (HTTP {e.StatusCode}): {e.Message}").ConfigureAwait(false);
            if (parse.GetValue(globals.Json))
            {
                await io.Out.WriteLineAsync(Output.ErrorJson(e)).ConfigureAwait(false);
            }
            return ExitCodes.ApiError;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            await io.Err.WriteLineAsync($"error: cannot reach the server at {parse.GetValue(globals.Url) ?? io.Environment("TALLY_URL") ?? DefaultUrl}: {e.Message}")
                .ConfigureAwait(false);
            return ExitCodes.ApiError;
        }
    }

    private static RootCommand BuildRoot(GlobalOptions g, CliIo io)
    {
        var root = new RootCommand("tally: manage a Tally server's catalog as code and inspect its customers and usage.");
        root.Options.Add(g.Url);
        root.Options.Add(g.Key);
        root.Options.Add(g.Json);
        root.Subcommands.Add(InitCommand.Build(g, io));
        root.Subcommands.Add(PushCommand.Build(g, io));
        root.Subcommands.Add(PullCommand.Build(g, io));
        var customers = new Command("customers", "List and inspect customers.");
        customers.Subcommands.Add(CustomersListCommand.Build(g, io));
        customers.Subcommands.Add(CustomersGetCommand.Build(g, io));
        root.Subcommands.Add(customers);
        var events = new Command("events", "Inspect the usage event log.");
        events.Subcommands.Add(EventsListCommand.Build(g, io));
        root.Subcommands.Add(events);
        root.Subcommands.Add(UsageCommand.Build(g, io));
        root.Subcommands.Add(TrackCommand.Build(g, io));
        root.Subcommands.Add(CheckCommand.Build(g, io));
        root.Subcommands.Add(KeysCommands.Build(g, io));
        root.Subcommands.Add(AuditCommand.Build(g, io));
        root.Subcommands.Add(ExportCommand.Build(g, io));
        return root;
    }
}

/// <summary>Options every command takes (recursive, so they may stand before or after the command name).</summary>
public sealed class GlobalOptions
{
    /// <summary>Server root URL.</summary>
    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"Server URL (default: $TALLY_URL, else {Cli.DefaultUrl})",
        Recursive = true,
    };

    /// <summary>Secret key.</summary>
    public Option<string?> Key { get; } = new("--key")
    {
        Description = "Secret key, am_sk_test_… or am_sk_live_… (default: $TALLY_SECRET_KEY)",
        Recursive = true,
    };

    /// <summary>Machine-readable output.</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the raw JSON answer instead of tables (for scripts)",
        Recursive = true,
    };
}
