using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tally.Naive.Tests;

/// <summary>
/// The same contract on both stores: a track decrements only when the balance covers it, writes exactly one event row
/// when it does, and concurrent tracks never overdraw; a missing row is told apart from a short balance. Each store's
/// class names the facts, so the PostgreSQL ones can be skipped without TALLY_TEST_POSTGRES.
/// </summary>
public abstract class NaiveStoreTests : IAsyncLifetime
{
    private INaiveStore _store = null!;

    private protected abstract Task<INaiveStore> CreateStoreAsync();

    /// <summary>How many event rows the store holds for the customer, read straight from its database.</summary>
    protected abstract Task<long> EventCountAsync(string customerId);

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(CancellationToken.None);
    }

    public virtual async Task DisposeAsync() => await _store.DisposeAsync();

    protected async Task CoveredThenShortThenMissing()
    {
        Assert.True(await _store.CreateAsync("cus_a", "messages", 10m, CancellationToken.None));
        Assert.False(await _store.CreateAsync("cus_a", "messages", 99m, CancellationToken.None));

        var first = await _store.TrackAsync("cus_a", "messages", 2.5m, CancellationToken.None);
        var tooMuch = await _store.TrackAsync("cus_a", "messages", 8m, CancellationToken.None);
        var missing = await _store.TrackAsync("cus_b", "messages", 1m, CancellationToken.None);

        Assert.Equal(new TrackResult(TrackStatus.Tracked, 7.5m), first);
        Assert.Equal(TrackStatus.Insufficient, tooMuch.Status);
        Assert.Equal(TrackStatus.NotFound, missing.Status);
        Assert.Equal(7.5m, await _store.BalanceAsync("cus_a", "messages", CancellationToken.None));
        Assert.Null(await _store.BalanceAsync("cus_b", "messages", CancellationToken.None));
        Assert.Equal(1, await EventCountAsync("cus_a"));
    }

    protected async Task ConcurrentBeyondTheBalance()
    {
        await _store.CreateAsync("cus_hot", "messages", 20m, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(_ => Task.Run(() => _store.TrackAsync("cus_hot", "messages", 1m, CancellationToken.None))));

        Assert.Equal(20, results.Count(r => r.Status == TrackStatus.Tracked));
        Assert.Equal(30, results.Count(r => r.Status == TrackStatus.Insufficient));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (decimal)i).ToHashSet(),
            results.Where(r => r.Status == TrackStatus.Tracked).Select(r => r.Balance).ToHashSet());
        Assert.Equal(0m, await _store.BalanceAsync("cus_hot", "messages", CancellationToken.None));
        Assert.Equal(20, await EventCountAsync("cus_hot"));
    }
}

public sealed class SqliteNaiveStoreTests : NaiveStoreTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tally-naive-").FullName;

    private string Database => Path.Combine(_dir, "naive.db");

    [Fact]
    public Task Track_CoveredThenShortThenMissing_DecrementsOnceAndTellsTheRefusalsApart() => CoveredThenShortThenMissing();

    [Fact]
    public Task Track_ConcurrentBeyondTheBalance_NeverOverdrawsAndRecordsOneEventPerAcceptedTrack() => ConcurrentBeyondTheBalance();

    private protected override Task<INaiveStore> CreateStoreAsync() => Task.FromResult<INaiveStore>(new SqliteNaive(Database));

    protected override Task<long> EventCountAsync(string customerId)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Database, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events WHERE customer_id = $c";
        cmd.Parameters.AddWithValue("$c", customerId);
        return Task.FromResult((long)cmd.ExecuteScalar()!);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresNaiveStoreTests : NaiveStoreTests
{
    private readonly string _name = "naive_" + Guid.NewGuid().ToString("N");

    private string ConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Database = _name }.ToString();

    [PostgresFact]
    public Task Track_CoveredThenShortThenMissing_DecrementsOnceAndTellsTheRefusalsApart() => CoveredThenShortThenMissing();

    [PostgresFact]
    public Task Track_ConcurrentBeyondTheBalance_NeverOverdrawsAndRecordsOneEventPerAcceptedTrack() => ConcurrentBeyondTheBalance();

    private protected override async Task<INaiveStore> CreateStoreAsync()
    {
        await PostgresServer.AdminAsync($"CREATE DATABASE \"{_name}\"");
        return new PostgresNaive(ConnectionString);
    }

    protected override async Task<long> EventCountAsync(string customerId)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM naive.events WHERE customer_id = $1", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await PostgresServer.AdminAsync($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)");
    }
}
