using System.Collections.Concurrent;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage;

/// <summary>
/// Claims the idempotency keys of a request within this process, so a concurrent request carrying any of the same
/// keys waits for the first to finish (and then finds its record) instead of deciding on the same state. Keys are
/// claimed in ordinal order, so two requests sharing several keys cannot wait on each other. An entry lives only
/// while its request runs: the map holds no more than the requests in flight.
/// </summary>
public sealed class KeyClaims
{
    private readonly ConcurrentDictionary<(TenantId, string), TaskCompletionSource> _inflight = new();

    /// <summary>How many keys are claimed right now (for tests: nothing may stay behind).</summary>
    public int Count => _inflight.Count;

    public async ValueTask<Claim?> ClaimAsync(TenantId tenant, IdempotencyRequest? request, CancellationToken ct)
    {
        if (request is null)
        {
            return null;
        }
        var keys = request.OrderedKeys;
        var claim = new Claim(this, tenant, keys.Count);
        try
        {
            foreach (var key in keys)
            {
                var slot = (tenant, key);
                var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                while (!_inflight.TryAdd(slot, mine))
                {
                    if (_inflight.TryGetValue(slot, out var running))
                    {
                        await running.Task.WaitAsync(ct).ConfigureAwait(false);
                    }
                }
                claim.Held.Add((key, mine));
            }
            return claim;
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    public sealed class Claim(KeyClaims owner, TenantId tenant, int count) : IDisposable
    {
        internal List<(string Key, TaskCompletionSource Done)> Held { get; } = new(count);

        public void Dispose()
        {
            foreach (var (key, done) in Held)
            {
                owner._inflight.TryRemove(new KeyValuePair<(TenantId, string), TaskCompletionSource>((tenant, key), done));
                done.TrySetResult();
            }
            Held.Clear();
        }
    }
}
