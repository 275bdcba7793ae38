namespace Tally.Cli;

/// <summary>The tool's entry point; everything else is <see cref="Cli.RunAsync"/>, which tests call directly.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => Cli.RunAsync(args, CliIo.FromConsole());
}
