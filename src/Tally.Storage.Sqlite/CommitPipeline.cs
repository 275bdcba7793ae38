using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Tally.Core.Telemetry;

namespace Tally.Storage.Sqlite;

/// <summary>
/// Group commit: one writer connection drains every mutation that is waiting and commits them in one
/// transaction; each caller is answered only after that commit. Batches grow with load, and an idle
/// request commits alone. A failed commit bumps the epoch, which fences off every write computed from
/// state that the failure made stale.
/// </summary>
internal sealed class CommitPipeline : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly SqlWriter _writer;
    private readonly Task _loop;
    private long _epoch;
    private long _waiting;

    public CommitPipeline(SqliteConnection connection)
    {
        _connection = connection;
        _writer = new SqlWriter(connection);
        _loop = Task.Run(RunAsync);
        // A single-reader channel cannot count its items, so the pipeline counts them for the queue-depth metric.
        TallyMetrics.ObserveQueue(this, static p => Volatile.Read(ref ((CommitPipeline)p)._waiting));
    }

    /// <summary>Bumped after a failed commit: state cached before it must be reloaded.</summary>
    public long Epoch => Volatile.Read(ref _epoch);

    /// <summary>Schedules a write; the task completes once it is durable (or faults if it was not).</summary>
    public Task CommitAsync(Action<SqlWriter> write, long epoch)
    {
        var item = new Item(write, epoch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp());
        if (!_queue.Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(nameof(CommitPipeline));
        }
        Interlocked.Increment(ref _waiting);
        return item.Done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Item>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                Interlocked.Decrement(ref _waiting);
                if (item.Epoch != _epoch)
                {
                    item.Done.TrySetException(new StaleStateException());
                    continue;
                }
                batch.Add(item);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                using var tx = _connection.BeginTransaction(deferred: false);
                _writer.Transaction = tx;
                foreach (var item in batch)
                {
                    item.Write(_writer);
                }
                _writer.FlushDeferred();
                var committing = Stopwatch.GetTimestamp();
                tx.Commit();
                TallyMetrics.Committed(batch.Count, committing, batch[0].Enqueued);
                foreach (var item in batch)
                {
                    item.Done.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _epoch);
                foreach (var item in batch)
                {
                    item.Done.TrySetException(ex);
                }
            }
            finally
            {
                _writer.Transaction = null;
                _writer.DiscardDeferred();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _writer.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record Item(Action<SqlWriter> Write, long Epoch, TaskCompletionSource Done, long Enqueued);
}

/// <summary>A write was computed from cached state that a failed commit invalidated; nothing was written.</summary>
public sealed class StaleStateException() : Exception("The write was based on state invalidated by a failed commit; nothing was written.");

/// <summary>Where a unit's statements go: straight to the writer, or into a plan prepared off the writer thread.</summary>
internal interface ISqlSink
{
    void Exec(string sql, params object?[] args);

    /// <summary>
    /// Queues a write that only the last one per key needs. When a different statement is already queued for the key,
    /// <paramref name="upgrade"/> (if given) supplies a statement that subsumes both (e.g. a full row over a balance-only update).
    /// </summary>
    void Defer(string sql, string key, object?[] args, Func<(string Sql, object?[] Args)>? upgrade = null);

    void FlushDeferred();
}

/// <summary>
/// A unit's statements with their arguments already encoded (JSON rows, decimal text) on the request thread, so the
/// single writer thread only binds and steps statements.
/// </summary>
internal sealed class WritePlan : ISqlSink
{
    private readonly List<(string? Sql, string? Key, object?[]? Args, Func<(string, object?[])>? Upgrade)> _ops = [];

    public void Exec(string sql, params object?[] args) => _ops.Add((sql, null, args, null));

    public void Defer(string sql, string key, object?[] args, Func<(string Sql, object?[] Args)>? upgrade = null) =>
        _ops.Add((sql, key, args, upgrade));

    public void FlushDeferred() => _ops.Add((null, null, null, null));

    public void ApplyTo(SqlWriter w)
    {
        foreach (var (sql, key, args, upgrade) in _ops)
        {
            if (sql is null)
            {
                w.FlushDeferred();
            }
            else if (key is not null)
            {
                w.Defer(sql, key, args!, upgrade);
            }
            else
            {
                w.Exec(sql, args!);
            }
        }
    }
}

/// <summary>Runs statements on the writer connection, keeping one prepared command per statement text.</summary>
internal sealed class SqlWriter(SqliteConnection connection) : ISqlSink, IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    // Row writes that only the last one of a batch needs (a balance row rewritten by many tracks in one batch),
    // keyed by table and primary key; flushed before any write that could depend on them and before commit.
    private readonly Dictionary<string, (string Sql, object?[] Args)> _deferred = new(StringComparer.Ordinal);
    private readonly List<string> _deferredOrder = [];

    public SqliteTransaction? Transaction { get; set; }

    public void Defer(string sql, string key, object?[] args, Func<(string Sql, object?[] Args)>? upgrade = null)
    {
        if (!_deferred.TryGetValue(key, out var pending))
        {
            _deferredOrder.Add(key);
            _deferred[key] = (sql, args);
            return;
        }
        _deferred[key] = pending.Sql != sql && upgrade is not null ? upgrade() : (sql, args);
    }

    public void FlushDeferred()
    {
        foreach (var k in _deferredOrder)
        {
            var (sql, args) = _deferred[k];
            Exec(sql, args);
        }
        DiscardDeferred();
    }

    public void DiscardDeferred()
    {
        _deferred.Clear();
        _deferredOrder.Clear();
    }

    void ISqlSink.Exec(string sql, params object?[] args) => Exec(sql, args);

    public int Exec(string sql, params object?[] args)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            for (var i = 0; i < args.Length; i++)
            {
                cmd.Parameters.Add(new SqliteParameter("$" + i, null));
            }
            _commands[sql] = cmd;
        }
        cmd.Transaction = Transaction;
        for (var i = 0; i < args.Length; i++)
        {
            cmd.Parameters[i].Value = args[i] ?? DBNull.Value;
        }
        return cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var c in _commands.Values)
        {
            c.Dispose();
        }
    }
}
