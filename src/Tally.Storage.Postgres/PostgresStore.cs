using System.Globalization;
using Npgsql;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed record PostgresStoreOptions
{
    /// <summary>
    /// An Npgsql connection string. Pool size and statement preparation are tuned here, e.g.
    /// <c>Maximum Pool Size=16</c>. Unless the string says otherwise, statements are auto-prepared
    /// (<c>Max Auto Prepare=64</c>: it saves parsing the same dozen statements on every mutation, and measured 1.4x
    /// the tracks per second); set <c>Max Auto Prepare=0</c> behind a pooler that does not keep prepared statements.
    /// </summary>
    public required string ConnectionString { get; init; }

    /// <summary>How long idempotency records are honoured.</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromDays(30);
}

/// <summary>
/// The shared store: any number of server processes use one database. Nothing authoritative is cached in
/// memory. A transaction locks the customers (or the tenant catalog) and the idempotency keys of its units, reads
/// the current rows, runs the pure units of work (those queued on this node for up to
/// <see cref="MaxCustomersPerTransaction"/> customers, each customer's in order) and commits their changes, ledger
/// rows and idempotency records together before answering any of them. The only cache, the per-tenant catalog, is
/// re-validated against a version number in the database on every use.
/// </summary>
public sealed partial class PostgresStore : ITallyStore
{
    private const int MaxAttempts = 10;

    private readonly PostgresStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly NpgsqlDataSource _dataSource;
    private readonly KeyClaims _claims = new();
    private volatile bool _initialized;

    public PostgresStore(PostgresStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        if (!options.ConnectionString.Replace(" ", "", StringComparison.Ordinal).Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }
        _maxWorkers = WorkersFor(builder.ConnectionStringBuilder);
        _dataSource = builder.Build();
    }

    public async Task InitializeAsync(CancellationToken ct)
    {
        await MigrateAsync(ct).ConfigureAwait(false);
        _initialized = true;
    }

    /// <summary>
    /// Applies the embedded scripts that the database has not seen, all in one transaction under an advisory
    /// lock, so that nodes starting together migrate one after the other and the later ones find nothing to do.
    /// </summary>
    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var unit = await PgUnit.OpenAsync(_dataSource, ct).ConfigureAwait(false);
        var batch = unit.Begin();
        batch.Add("SELECT pg_advisory_xact_lock($1)", P.Long(LockKeys.Migration));
        batch.Add("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)");
        batch.Add("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        int current;
        await using (batch)
        await using (var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            var results = new ResultCursor(r);
            await results.NextAsync(ct).ConfigureAwait(false); // the advisory lock
            await results.NextAsync(ct).ConfigureAwait(false);
            await r.ReadAsync(ct).ConfigureAwait(false);
            current = r.GetInt32(0);
        }
        var asm = typeof(PostgresStore).Assembly;
        var scripts = asm.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal) && n.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: int.Parse(n.Split(".Migrations.")[1][..4], CultureInfo.InvariantCulture)))
            .Where(x => x.Version > current)
            .OrderBy(x => x.Version);
        foreach (var (name, version) in scripts)
        {
            await using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            // A plain command (not a batch command) so Npgsql splits the script into its statements.
            await using var script = new NpgsqlCommand(await reader.ReadToEndAsync(ct).ConfigureAwait(false), unit.Connection);
            await script.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var mark = new NpgsqlCommand("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", unit.Connection);
            mark.Parameters.Add(P.Int(version));
            mark.Parameters.Add(P.Long(RowCodec.Ms(_time.GetUtcNow())));
            await mark.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using var commit = unit.Batch();
        await unit.CommitAsync(commit, ct).ConfigureAwait(false);
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        if (!_initialized)
        {
            return false;
        }
        try
        {
            await using var cmd = _dataSource.CreateCommand("SELECT 1");
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) == 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- retries

    /// <summary>
    /// Re-runs a whole unit of work when PostgreSQL rolled it back for a reason a second attempt resolves:
    /// serialization failure, deadlock, or a unique violation from a concurrent creation of the same customer
    /// or idempotency record (the retry then sees the winner's row). Work delegates are pure, so re-running them
    /// is safe. Connection failures are not retried: the commit may have happened.
    /// </summary>
    private static async Task<TResult> RetryAsync<TResult>(Func<Task<TResult>> unit, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await unit().ConfigureAwait(false);
            }
            catch (PostgresException ex) when (attempt < MaxAttempts && ex.SqlState is
                PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.UniqueViolation)
            {
                // Wall-clock delay on purpose: the injected TimeProvider may be a test clock that never advances.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 4 << Math.Min(attempt, 6))), ct).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);
}
