using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tally.Naive;

/// <summary>
/// The naive design on SQLite: the same two tables and statements as <see cref="PostgresNaive"/> (amounts in NUMERIC
/// columns), WAL with <c>synchronous=FULL</c>, so every commit is an fsync. Connections are opened once and pooled
/// here; writes take one process-wide lock (what a careful developer adds so that concurrent writers do not spin on
/// SQLITE_BUSY) and reads run beside them, as WAL allows. Nothing is batched: one track, one transaction, one fsync.
/// </summary>
internal sealed class SqliteNaive : INaiveStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS balances (
            customer_id TEXT NOT NULL,
            feature_id TEXT NOT NULL,
            granted NUMERIC NOT NULL,
            balance NUMERIC NOT NULL,
            PRIMARY KEY (customer_id, feature_id));
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            feature_id TEXT NOT NULL,
            value NUMERIC NOT NULL,
            balance_after NUMERIC NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS events_customer_time ON events (customer_id, feature_id, created_at);
        """;

    private const int MaxIdle = 64;

    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteNaive(string path) =>
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();

    public string Describe { get; private set; } = "SQLite";

    public Task InitializeAsync(CancellationToken ct)
    {
        var c = Rent();
        try
        {
            Execute(c, "PRAGMA journal_mode=WAL");
            Execute(c, Schema);
            Describe = string.Create(CultureInfo.InvariantCulture,
                $"SQLite {c.ServerVersion}, journal_mode={Scalar(c, "PRAGMA journal_mode")}, synchronous={Scalar(c, "PRAGMA synchronous")} (2 = FULL)");
        }
        finally
        {
            Return(c);
        }
        return Task.CompletedTask;
    }

    public async Task<bool> CreateAsync(string customerId, string featureId, decimal granted, CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        var c = Rent();
        try
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO balances (customer_id, feature_id, granted, balance) VALUES ($c, $f, $g, $g) ON CONFLICT DO NOTHING";
            cmd.Parameters.AddWithValue("$c", customerId);
            cmd.Parameters.AddWithValue("$f", featureId);
            cmd.Parameters.AddWithValue("$g", granted);
            return cmd.ExecuteNonQuery() == 1;
        }
        finally
        {
            Return(c);
            _writer.Release();
        }
    }

    public async Task<TrackResult> TrackAsync(string customerId, string featureId, decimal value, CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        var c = Rent();
        try
        {
            using var tx = c.BeginTransaction(deferred: false);
            decimal balance;
            using (var update = c.CreateCommand())
            {
                update.Transaction = tx;
                update.CommandText = "UPDATE balances SET balance = balance - $v WHERE customer_id = $c AND feature_id = $f AND balance >= $v RETURNING balance";
                update.Parameters.AddWithValue("$c", customerId);
                update.Parameters.AddWithValue("$f", featureId);
                update.Parameters.AddWithValue("$v", value);
                using var r = update.ExecuteReader();
                if (!r.Read())
                {
                    r.Close();
                    var exists = Exists(c, tx, customerId, featureId);
                    tx.Rollback();
                    return new TrackResult(exists ? TrackStatus.Insufficient : TrackStatus.NotFound, 0);
                }
                balance = r.GetDecimal(0);
            }
            using (var insert = c.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO events (customer_id, feature_id, value, balance_after, created_at) VALUES ($c, $f, $v, $b, $t)";
                insert.Parameters.AddWithValue("$c", customerId);
                insert.Parameters.AddWithValue("$f", featureId);
                insert.Parameters.AddWithValue("$v", value);
                insert.Parameters.AddWithValue("$b", balance);
                insert.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                insert.ExecuteNonQuery();
            }
            tx.Commit();
            return new TrackResult(TrackStatus.Tracked, balance);
        }
        finally
        {
            Return(c);
            _writer.Release();
        }
    }

    public Task<decimal?> BalanceAsync(string customerId, string featureId, CancellationToken ct)
    {
        var c = Rent();
        try
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT balance FROM balances WHERE customer_id = $c AND feature_id = $f";
            cmd.Parameters.AddWithValue("$c", customerId);
            cmd.Parameters.AddWithValue("$f", featureId);
            using var r = cmd.ExecuteReader();
            return Task.FromResult(r.Read() ? r.GetDecimal(0) : (decimal?)null);
        }
        finally
        {
            Return(c);
        }
    }

    private static bool Exists(SqliteConnection c, SqliteTransaction tx, string customerId, string featureId)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT 1 FROM balances WHERE customer_id = $c AND feature_id = $f";
        cmd.Parameters.AddWithValue("$c", customerId);
        cmd.Parameters.AddWithValue("$f", featureId);
        return cmd.ExecuteScalar() is not null;
    }

    private SqliteConnection Rent()
    {
        if (_idle.TryTake(out var c))
        {
            return c;
        }
        c = new SqliteConnection(_connectionString);
        c.Open();
        // Per connection: FULL makes each WAL commit an fsync; the busy timeout only matters for a second process.
        Execute(c, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000");
        return c;
    }

    private void Return(SqliteConnection c)
    {
        // Bounded: a burst beyond the bench's connection count closes what it opened instead of keeping it.
        if (_idle.Count < MaxIdle)
        {
            _idle.Add(c);
        }
        else
        {
            c.Dispose();
        }
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    public ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var c))
        {
            c.Dispose();
        }
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
