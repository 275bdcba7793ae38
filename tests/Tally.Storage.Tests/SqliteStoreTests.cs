using Tally.Core.Storage;
using Tally.Storage.Sqlite;

namespace Tally.Storage.Tests;

/// <summary>The contract against the embedded store: a fresh database file per test.</summary>
public sealed class SqliteStoreTests : StoreContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-store-tests", Guid.NewGuid().ToString("N"));

    protected override Task CreateDatabaseAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temp directory is cleaned up by the OS.
        }
        return Task.CompletedTask;
    }

    protected override ITallyStore NewStore(TimeProvider time, TimeSpan idempotencyRetention) =>
        new SqliteStore(new SqliteStoreOptions { Path = DatabasePath, IdempotencyRetention = idempotencyRetention }, time);

    private string DatabasePath => Path.Combine(_dir, "tally.db");

    protected override async Task<int> ExecuteSqlAsync(string sql)
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteNonQueryAsync();
    }
}
