namespace Tally.Cli;

/// <summary>
/// Everything the CLI touches outside itself: its streams, its environment, its working directory and how it reaches
/// the server. Tests pass their own; <see cref="FromConsole"/> is the real process.
/// </summary>
public sealed record CliIo(TextWriter Out, TextWriter Err, TextReader In)
{
    /// <summary>Reads an environment variable (TALLY_URL, TALLY_SECRET_KEY).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Directory that relative file arguments are resolved against.</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Builds the HTTP client of each run; null uses a plain <see cref="HttpClient"/>.</summary>
    public Func<HttpClient>? HttpClientFactory { get; init; }

    /// <summary>Whether colours and ANSI styling may be written (a terminal, not a pipe or a test).</summary>
    public bool Ansi { get; init; }

    /// <summary>Client retry count; tests lower it so an unreachable server fails fast.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The process's own console.</summary>
    public static CliIo FromConsole() => new(Console.Out, Console.Error, Console.In)
    {
        Ansi = !Console.IsOutputRedirected && System.Environment.GetEnvironmentVariable("NO_COLOR") is null,
    };

    /// <summary>Resolves a file argument against <see cref="WorkingDirectory"/>.</summary>
    public string PathOf(string file) => Path.GetFullPath(file, WorkingDirectory);
}
