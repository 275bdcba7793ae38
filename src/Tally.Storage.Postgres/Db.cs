using Npgsql;
using NpgsqlTypes;
using Tally.Core.Domain;

namespace Tally.Storage.Postgres;

/// <summary>Positional parameters (<c>$1</c>, <c>$2</c>, …): Npgsql sends them without rewriting the SQL.</summary>
internal static class P
{
    public static NpgsqlParameter Text(string? v) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)v ?? DBNull.Value };

    public static NpgsqlParameter Long(long v) => new NpgsqlParameter<long> { TypedValue = v };

    public static NpgsqlParameter Long(long? v) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = v is { } x ? x : DBNull.Value };

    public static NpgsqlParameter Int(int v) => new NpgsqlParameter<int> { TypedValue = v };

    public static NpgsqlParameter Num(decimal v) => new NpgsqlParameter<decimal> { TypedValue = v };

    public static NpgsqlParameter Json(string v) => new() { NpgsqlDbType = NpgsqlDbType.Json, Value = v };

    public static NpgsqlParameter Bytes(byte[] v) => new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = v };

    public static NpgsqlParameter TextArray(IReadOnlyList<string> v) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = v.ToArray() };

    public static NpgsqlParameter Org(TenantId t) => Text(t.OrgId);

    public static NpgsqlParameter Env(TenantId t) => Text(RowCodec.EnvName(t.Env));
}

internal static class BatchExtensions
{
    public static NpgsqlBatchCommand Add(this NpgsqlBatch batch, string sql, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(p);
        }
        batch.BatchCommands.Add(cmd);
        return cmd;
    }

    /// <summary>Adds a statement scoped to one customer: <c>$1</c> org, <c>$2</c> env, <c>$3</c> customer, then the rest.</summary>
    public static NpgsqlBatchCommand AddScoped(this NpgsqlBatch batch, string sql, TenantId t, string customerId,
        params NpgsqlParameter[] rest) =>
        batch.Add(sql, [P.Org(t), P.Env(t), P.Text(customerId), .. rest]);
}

/// <summary>
/// One unit of work on one pooled connection. The transaction is opened with a raw <c>BEGIN</c> at the head of
/// the first batch and closed with a <c>COMMIT</c> at the tail of the last one, so a whole mutation costs two
/// round trips. Disposing an unfinished unit rolls it back before the connection goes back to the pool, so no
/// lock outlives its request.
/// </summary>
internal sealed class PgUnit : IAsyncDisposable
{
    private bool _inTransaction;

    private PgUnit(NpgsqlConnection connection) => Connection = connection;

    public NpgsqlConnection Connection { get; }

    public static async Task<PgUnit> OpenAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        new(await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false));

    /// <summary>A batch whose first statement begins the transaction.</summary>
    public NpgsqlBatch Begin(string isolation = "")
    {
        var batch = new NpgsqlBatch(Connection);
        batch.Add("BEGIN" + isolation);
        _inTransaction = true;
        return batch;
    }

    public NpgsqlBatch Batch() => new(Connection);

    /// <summary>Runs <paramref name="batch"/> followed by COMMIT; any failing statement aborts the whole transaction.</summary>
    public async Task CommitAsync(NpgsqlBatch batch, CancellationToken ct)
    {
        batch.Add("COMMIT");
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        _inTransaction = false;
    }

    public async Task RollbackAsync()
    {
        if (!_inTransaction)
        {
            return;
        }
        _inTransaction = false;
        await using var cmd = new NpgsqlCommand("ROLLBACK", Connection);
        await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_inTransaction && Connection.FullState == System.Data.ConnectionState.Open)
            {
                await RollbackAsync().ConfigureAwait(false);
            }
        }
        catch (NpgsqlException)
        {
            // The connection is broken; Npgsql will not return a broken connector to the pool.
        }
        finally
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Walks the result sets of a batch in order (only row-returning statements have one).</summary>
internal sealed class ResultCursor(NpgsqlDataReader reader)
{
    private bool _started;

    public async Task<NpgsqlDataReader> NextAsync(CancellationToken ct)
    {
        if (_started && !await reader.NextResultAsync(ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A batch returned fewer result sets than expected");
        }
        _started = true;
        return reader;
    }
}
