using Npgsql;

namespace Tally.TestKit;

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

    /// <summary>The connection string for this database; bound the pool where several stores share one test.</summary>
    public string ConnectionString(int? maxPoolSize = null)
    {
        var admin = PostgresServer.AdminConnectionString ?? throw new InvalidOperationException(PostgresServer.SkipReason);
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = Name };
        if (maxPoolSize is { } max)
        {
            builder.MaxPoolSize = max;
        }
        return builder.ToString();
    }

    public static async Task<PostgresDatabase> CreateAsync(string prefix = "tally_")
    {
        var db = new PostgresDatabase(prefix);
        await db.CreateAsync();
        return db;
    }

    public async Task CreateAsync()
    {
        await PostgresServer.AdminAsync($"CREATE DATABASE \"{Name}\"");
        _created = true;
    }

    public async Task DropAsync()
    {
        if (!_created || PostgresServer.AdminConnectionString is null)
        {
            return;
        }
        await PostgresServer.AdminAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        _created = false;
    }

    public async ValueTask DisposeAsync() => await DropAsync();
}
