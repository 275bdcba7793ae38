using Tally.Core.Storage;
using Tally.Storage.Sqlite;

namespace Tally.Storage.Tests;

/// <summary>The contract against the embedded store: a fresh database file per test.</summary>
[KnownStoreBug(nameof(Catalog_rename_moves_the_feature_to_its_new_id_durably),
    "SQLite bug: WriteCatalog deletes the old feature row for a rename but never writes the renamed one; only the in-memory "
    + "catalog has it, so after a restart the feature is gone (expected feature 'msgs', reloaded catalog has none)")]
[KnownStoreBug(nameof(Renaming_a_customer_to_its_own_id_returns_and_changes_nothing),
    "SQLite bug: RenameCustomerAsync(id, id) waits twice on the same per-customer semaphore and never returns "
    + "(the customer stays locked for every later request)")]
[KnownStoreBug(nameof(Creation_order_numbers_are_not_reused_after_a_delete),
    "SQLite bug: customers.seq and entities.seq are MAX(seq)+1, so deleting the newest row hands its number to the next "
    + "one and a client paging with after-seq skips it (expected [\"c\"] after the last seen seq, got [])")]
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
        new SqliteStore(new SqliteStoreOptions { Path = Path.Combine(_dir, "tally.db"), IdempotencyRetention = idempotencyRetention }, time);
}
