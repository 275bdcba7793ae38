using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Tally.Core.Storage;

namespace Tally.Server.Http;

/// <summary>
/// Resolves <c>Authorization: Bearer am_sk_…</c> to a key, organization and environment. Keys are compared by
/// SHA-256 hash only; the raw key is never stored or logged.
/// </summary>
/// <remarks>
/// Accepted keys are cached (bounded, <see cref="MaxEntries"/>) so a known key costs no database round trip. What the
/// cache knows is trusted for at most <see cref="TrustFor"/> after the last check of the store's key version (a number
/// every revocation bumps): a request that finds the check older than <see cref="RefreshAfter"/> starts the next one in
/// the background, and one that finds it older than <see cref="TrustFor"/> waits for it. A revocation on another node
/// therefore takes effect here within 5 s; one made through this node evicts at once (<see cref="Invalidate"/>).
/// Unknown and revoked keys are never cached. Uses are recorded at most once a minute per key and written in the
/// background every <see cref="FlushEvery"/>.
/// </remarks>
public sealed class KeyResolver : IAsyncDisposable, IDisposable
{
    public const int MaxEntries = 10_000;
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan TrustFor = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan UseResolution = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(15);

    private readonly int _capacity;
    private readonly ITallyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyResolver> _logger;

    // Keyed by the presented token so a known key costs one lookup, not a SHA-256 per request; it lives only in this
    // process's memory (never stored or logged).
    private readonly ConcurrentDictionary<string, Entry> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pendingUses = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly Lock _gate = new();
    private readonly ITimer _flushTimer;

    // Bumped (under _gate) whenever the cache is cleared, so a lookup that read the store before the clear cannot put
    // a stale answer back.
    private long _generation;
    private long _knownVersion = -1;
    private long _checkedAtTicks = DateTimeOffset.MinValue.UtcTicks;
    private Task? _check;

    public KeyResolver(ITallyStore store, TimeProvider time, ILogger<KeyResolver> logger)
        : this(store, time, logger, MaxEntries)
    {
    }

    /// <summary>With a smaller bound, for tests.</summary>
    internal KeyResolver(ITallyStore store, TimeProvider time, ILogger<KeyResolver> logger, int capacity)
    {
        _capacity = capacity;
        _store = store;
        _time = time;
        _logger = logger;
        _flushTimer = time.CreateTimer(_ => _ = FlushInBackgroundAsync(), null, FlushEvery, FlushEvery);
    }

    /// <summary>How many keys are cached (never more than <see cref="MaxEntries"/>, or the test's bound).</summary>
    public int CachedCount => _known.Count;

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The active key this token is, or null.</summary>
    public async ValueTask<ApiKeyIdentity?> ResolveAsync(string key, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var age = now.UtcTicks - Volatile.Read(ref _checkedAtTicks);
        if (age < 0 || age >= TrustFor.Ticks)
        {
            await CheckVersionAsync().WaitAsync(ct).ConfigureAwait(false);
        }
        else if (age >= RefreshAfter.Ticks)
        {
            _ = CheckInBackgroundAsync();
        }
        if (_known.TryGetValue(key, out var entry))
        {
            NoteUse(entry, now);
            return entry.Identity;
        }
        var generation = Volatile.Read(ref _generation);
        var identity = await _store.FindActiveApiKeyAsync(Hash(key), ct).ConfigureAwait(false);
        if (identity is null)
        {
            return null;
        }
        entry = new Entry(identity);
        lock (_gate)
        {
            if (generation == _generation)
            {
                if (_known.Count >= _capacity)
                {
                    // Any entry will do: an evicted key costs one lookup when it comes back.
                    foreach (var victim in _known)
                    {
                        _known.TryRemove(victim.Key, out _);
                        break;
                    }
                }
                _known[key] = entry;
            }
        }
        NoteUse(entry, now);
        return identity;
    }

    /// <summary>Forgets every cached key: called after this node revoked one, so the revocation holds at once.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _generation++;
            _known.Clear();
        }
    }

    /// <summary>Writes the uses recorded so far (keys.list calls it first, so it shows this node's latest uses).</summary>
    public async Task FlushUsesAsync(CancellationToken ct)
    {
        await _flushGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var batch = new List<(string KeyId, DateTimeOffset UsedAt)>();
            foreach (var pending in _pendingUses)
            {
                if (_pendingUses.TryRemove(pending.Key, out var at))
                {
                    batch.Add((pending.Key, at));
                }
            }
            try
            {
                await _store.RecordApiKeyUseAsync(batch, ct).ConfigureAwait(false);
            }
            catch
            {
                foreach (var (id, at) in batch)
                {
                    _pendingUses.TryAdd(id, at);
                }
                throw;
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _flushTimer.DisposeAsync().ConfigureAwait(false);
        // The last uses go out on an orderly shutdown (the store outlives this resolver: it was created first).
        await FlushInBackgroundAsync().ConfigureAwait(false);
    }

    /// <summary>A synchronous shutdown drops the uses not yet written: last use is a hint, not a record.</summary>
    public void Dispose() => _flushTimer.Dispose();

    private void NoteUse(Entry entry, DateTimeOffset now)
    {
        var last = Volatile.Read(ref entry.LastUseTicks);
        if (now.UtcTicks - last < UseResolution.Ticks || Interlocked.CompareExchange(ref entry.LastUseTicks, now.UtcTicks, last) != last)
        {
            return;
        }
        // Bounded like the cache: past the bound a use waits for the next minute (last use is a hint, not a ledger).
        if (_pendingUses.Count < _capacity)
        {
            _pendingUses[entry.Identity.KeyId] = now;
        }
    }

    /// <summary>The version check in flight, or a new one: concurrent callers share one store read.</summary>
    private Task CheckVersionAsync()
    {
        lock (_gate)
        {
            if (_check is { IsCompleted: false } running)
            {
                return running;
            }
            return _check = Task.Run(async () =>
            {
                var started = _time.GetUtcNow().UtcTicks;
                var version = await _store.GetApiKeysVersionAsync(CancellationToken.None).ConfigureAwait(false);
                lock (_gate)
                {
                    if (version != _knownVersion)
                    {
                        _generation++;
                        _known.Clear();
                        _knownVersion = version;
                    }
                    // What the cache holds is now at least as fresh as the moment this read started (checks never overlap,
                    // so this only goes back if the clock did).
                    Volatile.Write(ref _checkedAtTicks, started);
                }
            });
        }
    }

    private async Task CheckInBackgroundAsync()
    {
        try
        {
            await CheckVersionAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Not fatal here: requests wait for (and fail with) the next check once the cache is too old to trust.
            _logger.LogWarning(e, "Checking the API key version failed");
        }
    }

    private async Task FlushInBackgroundAsync()
    {
        try
        {
            await FlushUsesAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The uses stay queued for the next flush.
            _logger.LogWarning(e, "Recording API key uses failed");
        }
    }

    private sealed class Entry(ApiKeyIdentity identity)
    {
        public readonly ApiKeyIdentity Identity = identity;
        public long LastUseTicks;
    }
}
