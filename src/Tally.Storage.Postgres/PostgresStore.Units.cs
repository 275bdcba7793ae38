using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    /// <summary>A customer's units per transaction: a hot customer's burst shares one lock, one load and one commit.</summary>
    private const int MaxUnitsPerCustomer = 64;

    /// <summary>
    /// Customers per shared transaction. Spread load is one unit per customer, so this is what turns one commit
    /// (one fsync) per track into one per batch; beyond a few dozen the first round trip's statements, not the
    /// commit, dominate, and a refused transaction has more customers to retry one by one.
    /// </summary>
    private const int MaxCustomersPerTransaction = 32;

    /// <summary>All units of one shared transaction: bounds its statements (≈ 5 per track) and its decode work.</summary>
    private const int MaxUnitsPerTransaction = 256;

    /// <summary>A shared transaction was abandoned before anything was sent for commit.</summary>
    private sealed class NothingCommittedException(Exception inner) : Exception("A batched transaction was abandoned before its commit", inner);

    /// <summary>Customers with queued units on this node; an entry lives only while it has units queued or in flight.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, string), CustomerQueue> _queues = new();

    /// <summary>
    /// One customer's units in arrival order. <see cref="Scheduled"/> while it waits in the ready queue or is in a
    /// transaction (never both, and never in two transactions): that is what keeps its units deciding in order.
    /// </summary>
    private sealed class CustomerQueue(TenantId tenant, string customerId)
    {
        public TenantId Tenant { get; } = tenant;

        public string CustomerId { get; } = customerId;

        public long LockKey { get; } = LockKeys.Customer(tenant, customerId);

        public List<Pending> Items { get; } = [];

        public bool Scheduled { get; set; }

        /// <summary>Dropped from <see cref="_queues"/>: a caller holding it must look the customer up again.</summary>
        public bool Removed { get; set; }
    }

    /// <summary>The units of one customer taken into one transaction.</summary>
    private sealed record Group(CustomerQueue Queue, IReadOnlyList<Pending> Units)
    {
        public TenantId Tenant => Queue.Tenant;

        public string CustomerId => Queue.CustomerId;
    }

    /// <summary>One caller's unit of work, waiting for the transaction that carries it.</summary>
    private abstract class Pending(IdempotencyRequest? idempotency)
    {
        public IdempotencyRequest? Idempotency { get; } = idempotency;

        /// <summary>Runs the work; false when it threw (the exception is kept for the caller).</summary>
        public abstract bool Decide(CustomerState? state, Catalog catalog, out CustomerChanges? changes, out byte[]? response, out int status);

        /// <summary>Answers from the records found for the unit's keys; false when they leave the work to run.</summary>
        public abstract bool Replay(IReadOnlyList<IdempotencyRecord> live);

        /// <summary>Answers the caller with the outcome of the last attempt (called after its commit).</summary>
        public abstract void Finish();

        public abstract void Fail(Exception e);
    }

    private sealed class Pending<T>(CustomerWork<T> work, IdempotencyRequest? idempotency) : Pending(idempotency)
    {
        private StoreResult<T>? _result;
        private Exception? _error;

        public TaskCompletionSource<StoreResult<T>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool Decide(CustomerState? state, Catalog catalog, out CustomerChanges? changes, out byte[]? response, out int status)
        {
            try
            {
                var decision = work(state, catalog);
                changes = decision.Changes is { IsEmpty: false } c ? c : null;
                response = decision.Response;
                status = decision.Status;
                _result = StoreResult<T>.Done(decision.Result);
                _error = null;
                return true;
            }
            catch (Exception e)
            {
                (changes, response, status, _result, _error) = (null, null, 0, null, e);
                return false;
            }
        }

        public override bool Replay(IReadOnlyList<IdempotencyRecord> live)
        {
            if (Idempotency is null || Tally.Storage.Idempotency.Answer<T>(Idempotency, live) is not { } answer)
            {
                return false;
            }
            _result = answer;
            _error = null;
            return true;
        }

        public override void Finish()
        {
            if (_error is not null)
            {
                Done.TrySetException(_error);
            }
            else
            {
                Done.TrySetResult(_result ?? throw new InvalidOperationException("A unit finished without deciding"));
            }
        }

        public override void Fail(Exception e) => Done.TrySetException(e);
    }
}
