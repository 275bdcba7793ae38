using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>
/// The server in-process on a fresh temp SQLite file: the default organization has a sandbox and a live key
/// (TALLY_SECRET_KEYS), and a second organization "org_b" has its own pair, registered through the store.
/// Used as a class fixture; tests use unique ids, so none depends on another's writes.
/// </summary>
public sealed class TallyApp : IAsyncLifetime, IAsyncDisposable
{
    public const string SandboxKey = "am_sk_test_srvtests_org_a";
    public const string LiveKey = "am_sk_live_srvtests_org_a";
    public const string OrgBSandboxKey = "am_sk_test_srvtests_org_b";
    public const string OrgBLiveKey = "am_sk_live_srvtests_org_b";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-srvtests-" + Guid.NewGuid().ToString("N"));
    private Factory? _factory;
    private HttpClient? _http;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private bool _disposed;

    private TallyApp(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    public TallyApp()
        : this(new Dictionary<string, string>())
    {
    }

    public string DatabasePath => Path.Combine(_dir, "tally.db");

    public IServiceProvider Services => _factory!.Services;

    public HttpClient Http => _http!;

    /// <summary>The default organization's sandbox key.</summary>
    public TallyApi Api => For(SandboxKey);

    public TallyApi For(string key) => new(Http, key);

    /// <summary>A server of its own, for a test whose assertions cover a whole listing or tenant-wide settings.</summary>
    public static async Task<TallyApp> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var app = new TallyApp(settings ?? new Dictionary<string, string>());
        await app.InitializeAsync();
        return app;
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _factory = new Factory(DatabasePath, $"{SandboxKey},{LiveKey}", _settings);
        _http = _factory.CreateClient();
        var store = Services.GetRequiredService<ITallyStore>();
        await store.EnsureOrganizationAsync("org_b", "B",
            [(KeyResolver.Hash(OrgBSandboxKey), Env.Sandbox), (KeyResolver.Hash(OrgBLiveKey), Env.Live)], CancellationToken.None);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    private sealed class Factory(string database, string keys, IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", keys);
            foreach (var (name, value) in settings)
            {
                builder.UseSetting(name, value);
            }
        }
    }
}

internal static class TempDirs
{
    public static string Create(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
