using System.Globalization;

namespace Tally.Server.Hosting;

/// <summary>Settings read from the environment (and the matching configuration keys).</summary>
public sealed record TallyOptions
{
    /// <summary>SQLite file path, or a PostgreSQL connection string (<c>Host=…</c> or <c>postgres://…</c>).</summary>
    public string Database { get; init; } = "./tally.db";

    /// <summary>Secret keys accepted for the default organization (am_sk_test_… → sandbox, am_sk_live_… → live).</summary>
    public IReadOnlyList<string> SecretKeys { get; init; } = [];

    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How often the reset sweeper looks for idle customers whose balances are due.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Keep negative free overage across resets instead of forgiving it (Autumn's persist_free_overage).</summary>
    public bool PersistFreeOverage { get; init; }

    /// <summary>SQLite: how many idle customers stay in memory (TALLY_RESIDENT_CUSTOMERS); the rest reload on demand.</summary>
    public int MaxResidentCustomers { get; init; } = 100_000;

    /// <summary>How long start-up waits for a PostgreSQL that is not reachable yet (TALLY_STARTUP_TIMEOUT).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public bool IsPostgres => LooksLikePostgres(Database);

    public static bool LooksLikePostgres(string database) =>
        database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || database.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    public static TallyOptions FromConfiguration(IConfiguration config)
    {
        var options = new TallyOptions();
        if (config["TALLY_DATABASE"] is { Length: > 0 } db)
        {
            options = options with { Database = db };
        }
        if (config["TALLY_SECRET_KEYS"] is { Length: > 0 } keys)
        {
            options = options with
            {
                SecretKeys = keys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            foreach (var key in options.SecretKeys)
            {
                _ = Bootstrap.EnvOf(key);
            }
        }
        if (config["TALLY_IDEMPOTENCY_RETENTION"] is { Length: > 0 } retention)
        {
            options = options with { IdempotencyRetention = ParseDuration(retention, "TALLY_IDEMPOTENCY_RETENTION") };
        }
        if (config["TALLY_PERSIST_FREE_OVERAGE"] is { Length: > 0 } persist)
        {
            options = options with { PersistFreeOverage = persist is "1" or "true" or "True" };
        }
        if (config["TALLY_SWEEP_INTERVAL"] is { Length: > 0 } sweep)
        {
            options = options with { SweepInterval = ParseDuration(sweep, "TALLY_SWEEP_INTERVAL") };
        }
        if (config["TALLY_RESIDENT_CUSTOMERS"] is { Length: > 0 } resident)
        {
            options = options with
            {
                MaxResidentCustomers = int.TryParse(resident, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw new TallyConfigurationException($"TALLY_RESIDENT_CUSTOMERS: '{resident}' is not a positive whole number"),
            };
        }
        if (config["TALLY_STARTUP_TIMEOUT"] is { Length: > 0 } startup)
        {
            options = options with { StartupTimeout = ParseDuration(startup, "TALLY_STARTUP_TIMEOUT") };
        }
        return options;
    }

    /// <summary>Accepts a TimeSpan ("30.00:00:00") or a number with a unit suffix: 30d, 12h, 15m, 10s.</summary>
    public static TimeSpan ParseDuration(string text, string setting)
    {
        var t = text.Trim();
        if (t.Length > 1 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            switch (t[^1])
            {
                case 'd': return TimeSpan.FromDays(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 's': return TimeSpan.FromSeconds(n);
            }
        }
        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span))
        {
            return span;
        }
        throw new TallyConfigurationException($"{setting}: '{text}' is not a duration (use e.g. 30d, 12h, 15m or 30.00:00:00)");
    }
}

/// <summary>A setting has a value Tally cannot use; the message names the setting and what it expects.</summary>
public sealed class TallyConfigurationException(string message) : InvalidOperationException(message);
