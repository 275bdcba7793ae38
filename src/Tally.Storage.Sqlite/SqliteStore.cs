using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Core.Telemetry;

namespace Tally.Storage.Sqlite;

public sealed record SqliteStoreOptions
{
    public required string Path { get; init; }

    /// <summary>How long idempotency records are honoured.</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How many existing customers may stay in memory while idle; beyond it the least recently used idle ones are
    /// dropped and reloaded on demand. Customers with work in flight stay whatever the budget.
    /// </summary>
    public int MaxResidentCustomers { get; init; } = 100_000;
}

/// <summary>
/// The embedded store. The server process owns the file: each customer's state is loaded once and kept in
/// memory as the authoritative copy, every mutation runs under that customer's lock and is committed
/// through the group-commit pipeline before its caller is answered.
/// </summary>
public sealed partial class SqliteStore : ITallyStore
{
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<(TenantId, string), Entry> _customers = new();
    private readonly ConcurrentDictionary<TenantId, Catalog> _catalogs = new();
    private readonly ConcurrentDictionary<TenantId, SemaphoreSlim> _catalogLocks = new();
    private readonly KeyClaims _claims = new();
    private CommitPipeline? _pipeline;

    public SqliteStore(SqliteStoreOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        TallyMetrics.ObserveResident(this, static s => ((SqliteStore)s).ResidentCount);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    private CommitPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("Store not initialized");

    public async Task InitializeAsync(CancellationToken ct)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_options.Path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }
        var writer = new SqliteConnection(_connectionString);
        await writer.OpenAsync(ct).ConfigureAwait(false);
        Pragma(writer, "PRAGMA journal_mode=WAL;");
        // Durability is not for sale: FULL fsyncs the WAL on every commit; group commit keeps that affordable.
        Pragma(writer, "PRAGMA synchronous=FULL;");
        Pragma(writer, "PRAGMA busy_timeout=30000;");
        Migrate(writer);
        _pipeline = new CommitPipeline(writer);
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        if (_pipeline is null)
        {
            return false;
        }
        await using var c = await OpenReaderAsync(ct).ConfigureAwait(false);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1";
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false)) == 1;
    }

    private static void Pragma(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void Migrate(SqliteConnection c)
    {
        Pragma(c, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);");
        using var get = c.CreateCommand();
        get.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        var current = Convert.ToInt32(get.ExecuteScalar());
        var asm = typeof(SqliteStore).Assembly;
        var scripts = asm.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal) && n.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: int.Parse(n.Split(".Migrations.")[1][..4], System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(x => x.Version);
        foreach (var (name, version) in scripts)
        {
            if (version <= current)
            {
                continue;
            }
            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var sql = reader.ReadToEnd();
            using var tx = c.BeginTransaction();
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = sql;
                cmd.ExecuteNonQuery();
            }
            using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO schema_version (version) VALUES ($v)";
                cmd.Parameters.AddWithValue("$v", version);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        return c;
    }

    private static SqliteCommand Tenant(SqliteConnection c, string sql, TenantId t)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$o", t.OrgId);
        cmd.Parameters.AddWithValue("$e", RowCodec.EnvName(t.Env));
        return cmd;
    }

    private static SqliteCommand Scoped(SqliteConnection c, string sql, TenantId t, string customerId)
    {
        var cmd = Tenant(c, sql, t);
        cmd.Parameters.AddWithValue("$c", customerId);
        return cmd;
    }

    public async ValueTask DisposeAsync()
    {
        if (_pipeline is not null)
        {
            await _pipeline.DisposeAsync().ConfigureAwait(false);
        }
        // Only this store's pool: other SQLite users in the process keep theirs.
        using var probe = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(probe);
    }
}
