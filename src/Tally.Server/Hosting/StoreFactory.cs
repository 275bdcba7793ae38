using Tally.Core.Storage;
using Tally.Storage.Sqlite;

namespace Tally.Server.Hosting;

/// <summary>TALLY_DATABASE picks the store: a PostgreSQL connection string, or else a SQLite file path.</summary>
public static class StoreFactory
{
    public static ITallyStore Create(TallyOptions options, TimeProvider time)
    {
        if (options.IsPostgres)
        {
            throw new InvalidOperationException("TALLY_DATABASE looks like a PostgreSQL connection string, but this build has no PostgreSQL store");
        }
        return new SqliteStore(new SqliteStoreOptions { Path = options.Database, IdempotencyRetention = options.IdempotencyRetention }, time);
    }
}
