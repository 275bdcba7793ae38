using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Tally.Client.Tests;

/// <summary>The real server in process, on its own temporary SQLite file, with known secret keys.</summary>
public sealed class TallyServer : WebApplicationFactory<Program>
{
    public const string SecretKey = "am_sk_test_x";

    /// <summary>The key the README quickstart uses, accepted too so the snippet runs as written.</summary>
    public const string QuickstartKey = "am_sk_test_...";

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tally-client-tests-{Guid.NewGuid():N}.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TALLY_DATABASE", _path);
        builder.UseSetting("TALLY_SECRET_KEYS", $"{SecretKey},{QuickstartKey}");
    }

    /// <summary>A client over the in-process server, as an application would inject it.</summary>
    public TallyClient NewClient(Action<TallyClientOptions>? configure = null)
    {
        var http = CreateClient();
        var options = new TallyClientOptions { BaseUrl = http.BaseAddress, SecretKey = SecretKey };
        configure?.Invoke(options);
        return new TallyClient(http, options);
    }

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
