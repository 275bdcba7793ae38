using Npgsql;

namespace Tally.Naive;

/// <summary>
/// The naive design on PostgreSQL, in schema <c>naive</c>:
/// <code>
/// balances (customer_id text, feature_id text, granted numeric, balance numeric, PRIMARY KEY (customer_id, feature_id))
/// events   (id bigint identity PRIMARY KEY, customer_id text, feature_id text, value numeric, balance_after numeric,
///           created_at timestamptz DEFAULT now()), index (customer_id, feature_id, created_at)
/// </code>
/// A track is what an ORM-style service would do: begin, <c>UPDATE … RETURNING</c>, <c>INSERT</c>, commit, each its
/// own round trip, with <c>synchronous_commit=on</c> forced on every connection so an answer means the WAL is flushed.
/// Concurrent tracks of one customer queue on that row's lock; PostgreSQL's WAL flush is shared by commits that
/// arrive together, which is all the batching this design gets.
/// </summary>
internal sealed class PostgresNaive : INaiveStore
{
    private const string Schema = """
        CREATE SCHEMA IF NOT EXISTS naive;
        CREATE TABLE IF NOT EXISTS naive.balances (
            customer_id text NOT NULL,
            feature_id text NOT NULL,
            granted numeric NOT NULL,
            balance numeric NOT NULL,
            PRIMARY KEY (customer_id, feature_id));
        CREATE TABLE IF NOT EXISTS naive.events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id text NOT NULL,
            feature_id text NOT NULL,
            value numeric NOT NULL,
            balance_after numeric NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS events_customer_time ON naive.events (customer_id, feature_id, created_at);
        """;

    private readonly NpgsqlDataSource _source;
    private readonly int _poolSize;

    public PostgresNaive(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var cs = builder.ConnectionStringBuilder;
        // 32 connections unless the string says otherwise: enough that the bench's 64 closed-loop clients keep
        // every connection busy, few enough that two cores are not spent switching between backends.
        if (!connectionString.Replace(" ", "", StringComparison.Ordinal).Contains("MaximumPoolSize", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Replace(" ", "", StringComparison.Ordinal).Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
        {
            cs.MaxPoolSize = 32;
        }
        // Prepared statements, as Tally's PostgreSQL store has them: a fair floor, not a handicapped one.
        if (cs.MaxAutoPrepare == 0)
        {
            cs.MaxAutoPrepare = 16;
        }
        cs.Options = ((cs.Options ?? "") + " -c synchronous_commit=on").Trim();
        _poolSize = cs.MaxPoolSize;
        _source = builder.Build();
    }

    public string Describe { get; private set; } = "PostgreSQL";

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand(Schema, conn))
        {
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using var show = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_database()", conn);
        await using var r = await show.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        Describe = $"PostgreSQL {r.GetString(0)}, database {r.GetString(3)}, fsync={r.GetString(1)}, synchronous_commit={r.GetString(2)}, pool {_poolSize}";
    }

    public async Task<bool> CreateAsync(string customerId, string featureId, decimal granted, CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO naive.balances (customer_id, feature_id, granted, balance) VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = featureId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = granted });
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<TrackResult> TrackAsync(string customerId, string featureId, decimal value, CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        decimal balance;
        await using (var update = new NpgsqlCommand(
            "UPDATE naive.balances SET balance = balance - $3 WHERE customer_id = $1 AND feature_id = $2 AND balance >= $3 RETURNING balance", conn, tx))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = customerId });
            update.Parameters.Add(new NpgsqlParameter { Value = featureId });
            update.Parameters.Add(new NpgsqlParameter { Value = value });
            if (await update.ExecuteScalarAsync(ct).ConfigureAwait(false) is not decimal after)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                // Only the refusal pays for telling a missing row from a short balance.
                return new TrackResult(await ExistsAsync(conn, customerId, featureId, ct).ConfigureAwait(false)
                    ? TrackStatus.Insufficient : TrackStatus.NotFound, 0);
            }
            balance = after;
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO naive.events (customer_id, feature_id, value, balance_after) VALUES ($1, $2, $3, $4)", conn, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = customerId });
            insert.Parameters.Add(new NpgsqlParameter { Value = featureId });
            insert.Parameters.Add(new NpgsqlParameter { Value = value });
            insert.Parameters.Add(new NpgsqlParameter { Value = balance });
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new TrackResult(TrackStatus.Tracked, balance);
    }

    public async Task<decimal?> BalanceAsync(string customerId, string featureId, CancellationToken ct)
    {
        await using var conn = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT balance FROM naive.balances WHERE customer_id = $1 AND feature_id = $2", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = featureId });
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as decimal?;
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection conn, string customerId, string featureId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM naive.balances WHERE customer_id = $1 AND feature_id = $2", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = featureId });
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
