using Tally.Cli;

return await Cli.RunAsync(args, CliIo.FromConsole()).ConfigureAwait(false);
