namespace Tally.Cli.Tests;

/// <summary>Runs the CLI's real entry point in process with captured streams and a scripted stdin.</summary>
public sealed class CliRun : IDisposable
{
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);

    public CliRun(TallyServer? server = null)
    {
        Directory.CreateDirectory(WorkDir);
        if (server is not null)
        {
            _env["TALLY_URL"] = server.Url;
            _env["TALLY_SECRET_KEY"] = TallyServer.SecretKey;
        }
    }

    /// <summary>A fresh directory the relative file arguments resolve in.</summary>
    public string WorkDir { get; } = Path.Combine(Path.GetTempPath(), $"tally-cli-{Guid.NewGuid():N}");

    public string PathOf(string file) => Path.Combine(WorkDir, file);

    public CliRun Without(string variable)
    {
        _env.Remove(variable);
        return this;
    }

    public async Task<Result> RunWithInputAsync(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var io = new CliIo(output, error, new StringReader(stdin))
        {
            Environment = name => _env.GetValueOrDefault(name),
            WorkingDirectory = WorkDir,
            MaxRetries = 0,
        };
        var code = await Cli.RunAsync(args, io);
        return new Result(code, output.ToString(), error.ToString());
    }

    public Task<Result> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    public sealed record Result(int Code, string Out, string Err)
    {
        public override string ToString() => $"exit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }
}
