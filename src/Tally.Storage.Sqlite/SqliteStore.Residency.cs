using System.Collections.Concurrent;
using Tally.Core.Domain;

namespace Tally.Storage.Sqlite;

/// <summary>
/// Which customers stay in memory. An entry is pinned by every request that uses it, from its lookup until its commit
/// is durable, so an unpinned entry has nothing in flight and its state is what the file holds: dropping it loses
/// nothing, and the next request reloads it. An entry whose customer does not exist is dropped as soon as the last
/// request leaves it; existing customers join a CLOCK ring, and once more than the budget are resident the request
/// that added one sweeps the ring, dropping idle entries not used since the hand last passed.
/// </summary>
public sealed partial class SqliteStore
{
    private const int Evicted = -1;

    /// <summary>How many ring slots one sweep looks at, at most: a request never pays for more than this.</summary>
    private const int MaxSweepSteps = 1024;

    private readonly ConcurrentQueue<Entry> _ring = new();
    private int _ringCount;
    private int _sweeping;

    /// <summary>Customer entries in memory (for tests: what a lookup leaves behind, and the budget).</summary>
    internal int ResidentCount => _customers.Count;

    /// <summary>Idempotency keys claimed right now (for tests: nothing may stay behind).</summary>
    internal int ClaimedKeyCount => _claims.Count;

    private sealed class Entry((TenantId, string) key)
    {
        public readonly (TenantId, string) Key = key;

        /// <summary>Held for the slow, asynchronous part: loading the customer from disk, or renaming it.</summary>
        public readonly SemaphoreSlim Lock = new(1, 1);

        /// <summary>
        /// Held for deciding and applying a unit of work: short, synchronous CPU work, so a monitor serialises a hot
        /// customer without the thread-pool hops an async wait costs under contention.
        /// </summary>
        public readonly object Gate = new();
        public volatile bool Loaded;
        public long Epoch;
        public CustomerState? State;

        /// <summary>Requests using the entry, or <see cref="Evicted"/> once it is dropped (then nobody may use it again).</summary>
        public int Users;

        /// <summary>Used since the clock hand last passed.</summary>
        public volatile bool Referenced;

        /// <summary>1 once the entry is in the ring.</summary>
        public int InRing;
    }

    /// <summary>The customer's entry, pinned: it stays until <see cref="Unpin"/>. Allocates only on a miss.</summary>
    private Entry Pin(TenantId tenant, string customerId)
    {
        var key = (tenant, customerId);
        while (true)
        {
            if (!_customers.TryGetValue(key, out var entry))
            {
                var fresh = new Entry(key) { Users = 1 };
                if (_customers.TryAdd(key, fresh))
                {
                    return fresh;
                }
                continue;
            }
            var users = Volatile.Read(ref entry.Users);
            if (users == Evicted)
            {
                // Dropped between our lookup and now; its successor (or a fresh load) is what counts.
                Thread.Yield();
                continue;
            }
            if (Interlocked.CompareExchange(ref entry.Users, users + 1, users) == users)
            {
                if (!entry.Referenced)
                {
                    entry.Referenced = true;
                }
                return entry;
            }
        }
    }

    private void Unpin(Entry entry)
    {
        if (Interlocked.Decrement(ref entry.Users) != 0)
        {
            return;
        }
        if (Volatile.Read(ref entry.State) is null)
        {
            // No such customer (or it was deleted, or renamed away): nothing of it stays.
            TryEvict(entry);
            return;
        }
        if (Volatile.Read(ref entry.InRing) == 0 && Interlocked.Exchange(ref entry.InRing, 1) == 0)
        {
            _ring.Enqueue(entry);
            if (Interlocked.Increment(ref _ringCount) > _options.MaxResidentCustomers)
            {
                Sweep();
            }
        }
    }

    /// <summary>Drops an entry nobody uses. Safe at any time: an unpinned entry has no write in flight.</summary>
    private bool TryEvict(Entry entry)
    {
        if (Interlocked.CompareExchange(ref entry.Users, Evicted, 0) != 0)
        {
            return false;
        }
        _customers.TryRemove(new KeyValuePair<(TenantId, string), Entry>(entry.Key, entry));
        return true;
    }

    private void Sweep()
    {
        if (Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
        {
            return; // someone else is sweeping; the next addition over the budget sweeps again
        }
        try
        {
            for (var step = 0; step < MaxSweepSteps && Volatile.Read(ref _ringCount) > _options.MaxResidentCustomers; step++)
            {
                if (!_ring.TryDequeue(out var entry))
                {
                    return;
                }
                if (Volatile.Read(ref entry.Users) == Evicted)
                {
                    Interlocked.Decrement(ref _ringCount);
                    continue;
                }
                if (entry.Referenced)
                {
                    entry.Referenced = false;
                    _ring.Enqueue(entry);
                    continue;
                }
                if (TryEvict(entry))
                {
                    Interlocked.Decrement(ref _ringCount);
                    continue;
                }
                _ring.Enqueue(entry); // in use: it stays
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}
