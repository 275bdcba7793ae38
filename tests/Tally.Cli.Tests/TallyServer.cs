using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Tally.Client;

namespace Tally.Cli.Tests;

/// <summary>
/// The real server on a loopback port (Kestrel, not the in-memory test server), on its own temporary SQLite file, so
/// the CLI reaches it exactly as it reaches a deployed one: by --url and an HTTP connection.
/// </summary>
public sealed class TallyServer : WebApplicationFactory<global::Program>
{
    public const string SecretKey = "am_sk_test_cli";

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tally-cli-tests-{Guid.NewGuid():N}.db");

    public TallyServer()
    {
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Url = addresses.First();
    }

    /// <summary>The server's SQLite file (tests that must corrupt a row on purpose write to it directly).</summary>
    public string DatabasePath => _path;

    /// <summary>Root URL the server listens on (http://127.0.0.1:port).</summary>
    public string Url { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TALLY_DATABASE", _path);
        builder.UseSetting("TALLY_SECRET_KEYS", SecretKey);
        builder.UseSetting("urls", "http://127.0.0.1:0");
    }

    /// <summary>A client for arranging and asserting server state directly.</summary>
    public TallyClient NewClient() => new(new HttpClient(), new TallyClientOptions { BaseUrl = new Uri(Url), SecretKey = SecretKey });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
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
        GC.SuppressFinalize(this);
    }
}
