using System.Collections.Concurrent;
using Npgsql;
using Tally.Core.Domain;

namespace Tally.Storage.Postgres;

/// <summary>
/// The drain: customers with queued units wait in one ready queue, and a few workers each take up to
/// <see cref="MaxCustomersPerTransaction"/> of them into one transaction. Spread over many customers, a transaction
/// (and its fsync) then carries many tracks instead of one.
/// </summary>
public sealed partial class PostgresStore
{
    private readonly ConcurrentQueue<CustomerQueue> _ready = new();
    private readonly int _maxWorkers;
    private int _workers;

    /// <summary>
    /// At most 8 transactions of units in flight per node, and at most half the pool (reads and catalog writes keep
    /// the rest). More workers only split the same queued units into more, smaller transactions: each costs an
    /// fsync and a round trip of its own, while the units queued behind a running one join the next.
    /// </summary>
    private static int WorkersFor(NpgsqlConnectionStringBuilder cs) => Math.Clamp(cs.MaxPoolSize / 2, 1, 8);

    private void Enqueue(TenantId tenant, string customerId, Pending pending)
    {
        while (true)
        {
            var queue = _queues.GetOrAdd((tenant, customerId), static k => new CustomerQueue(k.Item1, k.Item2));
            bool schedule;
            lock (queue)
            {
                if (queue.Removed)
                {
                    continue; // emptied and dropped after we found it: a fresh entry takes the unit
                }
                queue.Items.Add(pending);
                schedule = !queue.Scheduled;
                queue.Scheduled = true;
            }
            if (schedule)
            {
                Schedule(queue);
            }
            return;
        }
    }

    private void Schedule(CustomerQueue queue)
    {
        _ready.Enqueue(queue);
        if (TryAddWorker())
        {
            _ = Task.Run(WorkAsync);
        }
    }

    private bool TryAddWorker()
    {
        while (true)
        {
            var n = Volatile.Read(ref _workers);
            if (n >= _maxWorkers)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _workers, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    private async Task WorkAsync()
    {
        while (true)
        {
            var groups = Take();
            if (groups.Count == 0)
            {
                Interlocked.Decrement(ref _workers);
                // A customer made ready between Take and the decrement found every worker busy and started none:
                // take it on rather than leave it until the next arrival.
                if (_ready.IsEmpty || !TryAddWorker())
                {
                    return;
                }
                continue;
            }
            await RunAsync(groups).ConfigureAwait(false);
            foreach (var group in groups)
            {
                Release(group.Queue);
            }
        }
    }

    /// <summary>Up to <see cref="MaxCustomersPerTransaction"/> ready customers, up to <see cref="MaxUnitsPerCustomer"/> units each.</summary>
    private List<Group> Take()
    {
        var groups = new List<Group>();
        var total = 0;
        while (groups.Count < MaxCustomersPerTransaction && total < MaxUnitsPerTransaction && _ready.TryDequeue(out var queue))
        {
            List<Pending> units;
            lock (queue)
            {
                var n = Math.Min(queue.Items.Count, Math.Min(MaxUnitsPerCustomer, MaxUnitsPerTransaction - total));
                units = queue.Items.GetRange(0, n);
                queue.Items.RemoveRange(0, n);
            }
            groups.Add(new Group(queue, units));
            total += units.Count;
        }
        return groups;
    }

    /// <summary>After its transaction: back to the end of the ready queue if more units arrived, else forgotten.</summary>
    private void Release(CustomerQueue queue)
    {
        lock (queue)
        {
            if (queue.Items.Count == 0)
            {
                queue.Scheduled = false;
                queue.Removed = true;
                _queues.TryRemove(new KeyValuePair<(TenantId, string), CustomerQueue>((queue.Tenant, queue.CustomerId), queue));
                return;
            }
        }
        Schedule(queue);
    }

    /// <summary>
    /// Commits the groups' units together, then answers each. When PostgreSQL refuses the transaction (or a unit's
    /// statements could not be built), nothing of it was committed and one unit's rows may be what it refused: the
    /// customers are retried one by one, then a refused customer's units one by one, so the others do not share its
    /// fate. A lost connection is not retried that way: the commit may have happened.
    /// </summary>
    private async Task RunAsync(IReadOnlyList<Group> groups)
    {
        try
        {
            await RetryAsync(() => MutateCustomersOnceAsync(groups), CancellationToken.None).ConfigureAwait(false);
            foreach (var group in groups)
            {
                foreach (var unit in group.Units)
                {
                    unit.Finish();
                }
            }
        }
        catch (Exception refused) when (refused is PostgresException or NothingCommittedException
            && (groups.Count > 1 || groups[0].Units.Count > 1))
        {
            if (groups.Count > 1)
            {
                foreach (var group in groups)
                {
                    await RunAsync([group]).ConfigureAwait(false);
                }
            }
            else
            {
                foreach (var unit in groups[0].Units)
                {
                    await RunAsync([groups[0] with { Units = [unit] }]).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var group in groups)
            {
                foreach (var unit in group.Units)
                {
                    unit.Fail(e);
                }
            }
        }
    }
}
