using Npgsql;
using Tally.Core.Storage;
using Tally.Storage.Postgres;
using Tally.Storage.Sqlite;

namespace Tally.Server.Hosting;

/// <summary>TALLY_DATABASE picks the store: a PostgreSQL connection string (shared by any number of nodes), or else a SQLite file path.</summary>
public static class StoreFactory
{
    public static ITallyStore Create(TallyOptions options, TimeProvider time)
    {
        if (options.IsPostgres)
        {
            return new PostgresStore(new PostgresStoreOptions
            {
                ConnectionString = ToConnectionString(options.Database),
                IdempotencyRetention = options.IdempotencyRetention,
            }, time);
        }
        return new SqliteStore(new SqliteStoreOptions
        {
            Path = options.Database,
            IdempotencyRetention = options.IdempotencyRetention,
            MaxResidentCustomers = options.MaxResidentCustomers,
        }, time);
    }

    /// <summary>Accepts both Npgsql's <c>Host=…;</c> form and a <c>postgres://user:pass@host:port/db</c> URL.</summary>
    public static string ToConnectionString(string database)
    {
        if (!database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return database;
        }
        var uri = new Uri(database);
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
        };
        if (uri.UserInfo.Split(':', 2) is [var user, ..] && user.Length > 0)
        {
            b.Username = Uri.UnescapeDataString(user);
            if (uri.UserInfo.Split(':', 2) is [_, var pass])
            {
                b.Password = Uri.UnescapeDataString(pass);
            }
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            b[Uri.UnescapeDataString(kv[0])] = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return b.ConnectionString;
    }
}
