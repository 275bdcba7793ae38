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
