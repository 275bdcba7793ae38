using Npgsql;

namespace Tally.TestKit;

/// <summary>The PostgreSQL server the tests may use, named by <c>TALLY_TEST_POSTGRES</c> (an admin connection string).</summary>
public static class Postgres
{
    public const string Variable = "TALLY_TEST_POSTGRES";
    public const string SkipReason = "Set TALLY_TEST_POSTGRES to a PostgreSQL connection string to run the PostgreSQL tests";

    public static string? AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs ? cs : null;

    /// <summary>Runs one statement on the admin database (CREATE/DROP DATABASE cannot run inside the test's own).</summary>
    public static async Task AdminAsync(string sql)
    {
        await using var c = new NpgsqlConnection(AdminConnectionString ?? throw new InvalidOperationException(SkipReason));
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A database of its own for one test (tests run in parallel on one server): created on demand, dropped with
/// every connection to it when disposed.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private bool _created;

    /// <param name="prefix">Names the test area in the database name, so a leftover is easy to trace.</param>
    public PostgresDatabase(string prefix = "tally_")
    {
        Name = prefix + Guid.NewGuid().ToString("N")[..16];
    }

    public string Name { get; }

    /// <summary>The connection string for this database; the pool is bounded so parallel tests stay inside max_connections.</summary>
    public string ConnectionString(int maxPoolSize = 20) =>
        new NpgsqlConnectionStringBuilder(Postgres.AdminConnectionString ?? throw new InvalidOperationException(Postgres.SkipReason))
        {
            Database = Name,
            MaxPoolSize = maxPoolSize,
        }.ToString();

    public static async Task<PostgresDatabase> CreateAsync(string prefix = "tally_")
    {
        var db = new PostgresDatabase(prefix);
        await db.CreateAsync();
        return db;
    }

    public async Task CreateAsync()
    {
        await Postgres.AdminAsync($"CREATE DATABASE \"{Name}\"");
        _created = true;
    }

    public async Task DropAsync()
    {
        if (!_created || Postgres.AdminConnectionString is null)
        {
            return;
        }
        await Postgres.AdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        _created = false;
    }

    public async ValueTask DisposeAsync() => await DropAsync();
}
