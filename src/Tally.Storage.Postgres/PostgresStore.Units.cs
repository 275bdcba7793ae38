using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const int MaxUnitsPerTransaction = 64;

    /// <summary>A shared transaction was abandoned before anything was sent for commit.</summary>
    private sealed class NothingCommittedException(Exception inner) : Exception("A batched transaction was abandoned before its commit", inner);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, string), CustomerQueue> _queues = new();

    private sealed class CustomerQueue
    {
        public List<Pending> Items { get; } = [];

        public bool Running { get; set; }
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
