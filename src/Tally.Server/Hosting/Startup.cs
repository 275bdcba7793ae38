using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Server.Hosting;

/// <summary>A setting or the environment makes starting impossible: one line for the operator, no stack trace.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Start-up in the order that loses nothing: migrate the store (retrying a PostgreSQL that is not up yet), listen,
/// and only then store and print first-start keys, so a start that cannot bind its port leaves no key behind that
/// nobody saw. Failures the operator can fix are reported as one line on stderr and a non-zero exit code.
/// </summary>
public static partial class Startup
{
    public const int ConfigurationExitCode = 2;

    public static async Task<int> RunAsync(WebApplication app, TallyOptions options)
    {
        var store = app.Services.GetRequiredService<ITallyStore>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tally.Startup");
        var stopping = app.Lifetime.ApplicationStopping;
        await InitializeStoreAsync(store, options, log, stopping).ConfigureAwait(false);
        var ids = app.Services.GetRequiredService<IIdGenerator>();
        var firstKeys = await Bootstrap.PrepareAsync(store, options, ids, stopping).ConfigureAwait(false);
        try
        {
            await app.StartAsync(stopping).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is SocketException or IOException || e.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
        {
            throw new StartupException($"{e.Message.TrimEnd('.')} (is another Tally already running there? Pick another port with --urls)", e);
        }
        var stored = await Bootstrap.StoreFirstKeysAsync(store, firstKeys, ids, stopping).ConfigureAwait(false);
        var where = options.IsPostgres ? "PostgreSQL" : Path.GetFullPath(options.Database);
        foreach (var url in app.Urls)
        {
            Console.WriteLine($"Tally is listening on {url} (store: {where})");
        }
        foreach (var key in stored)
        {
            Console.WriteLine($"Created secret key (shown once, keep it): {key}");
        }
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>The one line printed for a failure the operator can fix, or null for a real fault (which keeps its stack trace).</summary>
    public static string? Describe(Exception e, TallyOptions? options) => e switch
    {
        StartupException s => s.Message,
        TallyConfigurationException c => c.Message,
        _ => null,
    };

    private static async Task InitializeStoreAsync(ITallyStore store, TallyOptions options, ILogger log, CancellationToken ct)
    {
        if (!options.IsPostgres)
        {
            try
            {
                await store.InitializeAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"TALLY_DATABASE: cannot open the SQLite database at {Path.GetFullPath(options.Database)}: {e.Message}", e);
            }
            return;
        }
        // Containers and service managers often start Tally before its database: wait for it, within bounds.
        var deadline = DateTimeOffset.UtcNow + options.StartupTimeout;
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.InitializeAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                var left = deadline - DateTimeOffset.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    throw new StartupException(
                        $"TALLY_DATABASE: PostgreSQL at {Endpoint(options)} is not reachable after {options.StartupTimeout.TotalSeconds:0.#} s (TALLY_STARTUP_TIMEOUT): {e.Message}", e);
                }
                var wait = delay < left ? delay : left;
                LogRetry(log, Endpoint(options), attempt, wait.TotalSeconds, e.Message);
                await Task.Delay(wait, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private static bool IsUnreachable(Exception e) => e is NpgsqlException { IsTransient: true } or SocketException or TimeoutException
        || e is NpgsqlException { InnerException: SocketException or IOException or TimeoutException };

    private static string Endpoint(TallyOptions options)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(StoreFactory.ToConnectionString(options.Database));
            return $"{b.Host}:{b.Port}";
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning,
        Message = "PostgreSQL at {Endpoint} is not reachable yet (attempt {Attempt}: {Reason}); retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, string endpoint, int attempt, double delaySeconds, string reason);
}
