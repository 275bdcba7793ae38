using System.CommandLine;
using Spectre.Console;
using Tally.Client;

namespace Tally.Cli;

/// <summary>What one command run needs: its parse result, the streams, a client, and the rendering console.</summary>
internal sealed class CliContext
{
    private readonly GlobalOptions _globals;
    private TallyClient? _client;

    public CliContext(GlobalOptions globals, CliIo io, ParseResult parse)
    {
        _globals = globals;
        Io = io;
        Parse = parse;
        Json = parse.GetValue(globals.Json);
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = io.Ansi ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Ansi ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(io.Out),
        });
        if (!io.Ansi)
        {
            // Piped output is read by scripts and grep: no wrapping at an imagined 80 columns.
            Console.Profile.Width = 1000;
        }
    }

    public CliIo Io { get; }

    public ParseResult Parse { get; }

    /// <summary>True with <c>--json</c>: write JSON to stdout and nothing else there.</summary>
    public bool Json { get; }

    /// <summary>Tables, colours and charts on stdout.</summary>
    public IAnsiConsole Console { get; }

    public T? Value<T>(Option<T> option) => Parse.GetValue(option);

    public T? Value<T>(Argument<T> argument) => Parse.GetValue(argument);

    /// <summary>The client, built on first use so that commands that never call the server need no key.</summary>
    public TallyClient Client()
    {
        if (_client is not null)
        {
            return _client;
        }
        var url = Parse.GetValue(_globals.Url) ?? NonEmpty(Io.Environment("TALLY_URL")) ?? Cli.DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url: '{url}' is not an http(s) URL");
        }
        var key = Parse.GetValue(_globals.Key) ?? NonEmpty(Io.Environment("TALLY_SECRET_KEY"));
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new UsageException("no secret key: pass --key or set TALLY_SECRET_KEY");
        }
        var http = Io.HttpClientFactory?.Invoke() ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _client = new TallyClient(http, new TallyClientOptions { BaseUrl = baseUrl, SecretKey = key, MaxRetries = Io.MaxRetries });
        return _client;
    }

    /// <summary>
    /// Asks a yes/no question on stderr and reads the answer from stdin. No answer at all (stdin closed, as in CI) is a
    /// usage error rather than a silent "no", so a pipeline that forgot <c>--yes</c> fails loudly.
    /// </summary>
    public async Task<bool> ConfirmAsync(string question)
    {
        await Io.Err.WriteAsync($"{question} [y/N] ").ConfigureAwait(false);
        await Io.Err.FlushAsync().ConfigureAwait(false);
        var answer = await Io.In.ReadLineAsync().ConfigureAwait(false)
            ?? throw new UsageException("no answer on standard input; pass --yes to go ahead without asking");
        return answer.Trim().ToLowerInvariant() is "y" or "yes";
    }

    public Task WriteJsonAsync(string json) => Io.Out.WriteLineAsync(json);

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
