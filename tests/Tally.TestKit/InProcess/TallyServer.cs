using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Tally.TestKit;

/// <summary>
/// The real server in process (the in-memory test host), on its own temporary SQLite file with known secret keys, or
/// on a file the test owns (two servers on one file act as two nodes, or as a restart). Compiled into each test
/// project that hosts the server rather than into Tally.TestKit itself, so the projects that only need the
/// PostgreSQL switch or the property sizes do not build against the server.
/// </summary>
public sealed class TallyServer : WebApplicationFactory<Program>
{
    public const string SecretKey = "am_sk_test_x";

    /// <summary>The key the README quickstart uses, accepted too so the snippet runs as written.</summary>
    public const string QuickstartKey = "am_sk_test_...";

    private readonly string _path;
    private readonly bool _ownsDatabase;
    private readonly string? _keys;
    private readonly (string Name, string Value)[] _settings;
    private HttpClient? _http;

    /// <summary>A server on a new temporary file (deleted on dispose) accepting <see cref="SecretKey"/> and <see cref="QuickstartKey"/>.</summary>
    public TallyServer()
        : this(Path.Combine(Path.GetTempPath(), $"tally-tests-{Guid.NewGuid():N}.db"), true, $"{SecretKey},{QuickstartKey}", [])
    {
    }

    private TallyServer(string path, bool ownsDatabase, string? keys, (string Name, string Value)[] settings)
    {
        _path = path;
        _ownsDatabase = ownsDatabase;
        _keys = keys;
        _settings = settings;
    }

    /// <summary>
    /// A server on <paramref name="database"/>, which the test creates and deletes; <paramref name="keys"/> is
    /// TALLY_SECRET_KEYS (null: not set, so a first start prints its own keys); <paramref name="settings"/> are further
    /// settings of the server.
    /// </summary>
    public static TallyServer OnFile(string database, string? keys, params (string Name, string Value)[] settings) =>
        new(database, false, keys, settings);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TALLY_DATABASE", _path);
        if (_keys is not null)
        {
            builder.UseSetting("TALLY_SECRET_KEYS", _keys);
        }
        foreach (var (name, value) in _settings)
        {
            builder.UseSetting(name, value);
        }
    }

    /// <summary>One HTTP client over the in-process server, made on first use and disposed with it.</summary>
    public HttpClient Http => _http ??= CreateClient();

    public override async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        await base.DisposeAsync();
        if (_ownsDatabase)
        {
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            {
                try
                {
                    File.Delete(_path + suffix);
                }
                catch (IOException)
                {
                    // Best effort: a temp file left behind is harmless.
                }
            }
        }
        GC.SuppressFinalize(this);
    }
}
