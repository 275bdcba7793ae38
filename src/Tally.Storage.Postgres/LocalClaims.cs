using System.Collections.Concurrent;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Postgres;

/// <summary>
/// Queues requests of this process that carry the same idempotency key, so a burst of retries waits here
/// instead of holding one pooled connection each while it waits for the database lock. Only an optimisation:
/// the advisory lock and the primary key in the database are what make a key apply once across nodes.
/// </summary>
internal sealed class LocalClaims
{
    private readonly ConcurrentDictionary<(TenantId, string), TaskCompletionSource> _inflight = new();

    public async ValueTask<Claim?> ClaimAsync(TenantId tenant, IdempotencyRequest? request, CancellationToken ct)
    {
        if (request is null)
        {
            return null;
        }
        var key = (tenant, request.ScopedKey);
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (!_inflight.TryAdd(key, mine))
        {
            if (_inflight.TryGetValue(key, out var running))
            {
                await running.Task.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        return new Claim(this, key, mine);
    }

    internal sealed class Claim(LocalClaims owner, (TenantId, string) key, TaskCompletionSource done) : IDisposable
    {
        public void Dispose()
        {
            owner._inflight.TryRemove(new KeyValuePair<(TenantId, string), TaskCompletionSource>(key, done));
            done.TrySetResult();
        }
    }
}
