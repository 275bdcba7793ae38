using Tally.Core.Domain;

namespace Tally.Core.Storage;

/// <summary>
/// An idempotency claim: the keys (each scoped by the caller, unambiguously) and a hash of the request they belong
/// to. A request may carry several keys (a header and a body key); each must hold on its own, so the store looks
/// all of them up and records all of them in the unit's transaction.
/// </summary>
public sealed record IdempotencyRequest
{
    public IdempotencyRequest(string scopedKey, string requestHash)
        : this([scopedKey], requestHash)
    {
    }

    public IdempotencyRequest(IEnumerable<string> scopedKeys, string requestHash)
    {
        ArgumentNullException.ThrowIfNull(scopedKeys);
        // Ordinal order is the order claims and locks are taken in, so two requests sharing keys never wait on each other.
        OrderedKeys = [.. scopedKeys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (OrderedKeys.Count == 0)
        {
            throw new ArgumentException("An idempotency claim needs a key", nameof(scopedKeys));
        }
        RequestHash = requestHash;
    }

    /// <summary>The distinct keys in ordinal order.</summary>
    public IReadOnlyList<string> OrderedKeys { get; }

    public string RequestHash { get; init; }
}

/// <summary>A stored answer to an idempotent request, replayed byte for byte.</summary>
public sealed record IdempotencyRecord(string ScopedKey, string RequestHash, int Status, byte[] Body, DateTimeOffset CreatedAt);

/// <summary>
/// What a unit of work decided: a result for the caller, the rows to commit, and the response body to keep
/// for idempotent replays. A decision with no changes and no body commits nothing.
/// </summary>
public sealed record Decision<T>(T Result, CustomerChanges? Changes = null, byte[]? Response = null, int Status = 200);

public sealed record CatalogDecision<T>(T Result, CatalogChanges? Changes = null, byte[]? Response = null, int Status = 200);

public sealed class CatalogChanges
{
    public List<Feature> UpsertFeatures { get; } = [];
    public List<string> DeleteFeatures { get; } = [];

    /// <summary>Renames: old id → new id (applied before upserts).</summary>
    public List<(string OldId, string NewId)> RenameFeatures { get; } = [];
    public List<Plan> UpsertPlans { get; } = [];

    /// <summary>Plan versions to delete: (plan id, version or null for all versions).</summary>
    public List<(string PlanId, int? Version)> DeletePlans { get; } = [];

    public bool IsEmpty => UpsertFeatures.Count == 0 && DeleteFeatures.Count == 0 && RenameFeatures.Count == 0
        && UpsertPlans.Count == 0 && DeletePlans.Count == 0;
}

public enum StoreOutcome
{
    /// <summary>The decision ran (and was committed if it changed anything).</summary>
    Done,
    /// <summary>The same idempotency key and request were seen before: here is the original answer.</summary>
    Replayed,
    /// <summary>The idempotency key was used with a different request.</summary>
    KeyConflict,
}

public sealed record StoreResult<T>(StoreOutcome Outcome, T? Result, IdempotencyRecord? Replay)
{
    public static StoreResult<T> Done(T result) => new(StoreOutcome.Done, result, null);
}

/// <summary>
/// The customer's state handed to a unit of work: null when the customer does not exist.
/// The work must not keep it past its return.
/// </summary>
public delegate Decision<T> CustomerWork<T>(CustomerState? state, Catalog catalog);

public delegate CatalogDecision<T> CatalogWork<T>(Catalog catalog);

public enum RenameOutcome
{
    Renamed,
    NotFound,
    TargetExists,
}

public sealed record ApiKeyMatch(string OrgId, Env Env);

public sealed record EventQuery
{
    public string? CustomerId { get; init; }
    public string? EntityId { get; init; }
    public IReadOnlyList<string>? EventNames { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }

    /// <summary>Only events with a sequence number below this (newest first paging).</summary>
    public long? BeforeSeq { get; init; }
    public int Limit { get; init; } = 50;
}

/// <summary>
/// The storage port. Each customer's mutations are serialised; the rows a decision changes, its ledger
/// events and its idempotency record commit in one transaction before the call returns.
/// </summary>
public interface ITallyStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken ct);

    Task<bool> IsReadyAsync(CancellationToken ct);

    Task<ApiKeyMatch?> FindApiKeyAsync(string keyHash, CancellationToken ct);

    Task<bool> AnyOrganizationAsync(CancellationToken ct);

    /// <summary>Creates the organization if missing and registers the key hashes (idempotent).</summary>
    Task EnsureOrganizationAsync(string orgId, string name, IReadOnlyList<(string KeyHash, Env Env)> keys, CancellationToken ct);

    ValueTask<Catalog> GetCatalogAsync(TenantId tenant, CancellationToken ct);

    Task<StoreResult<T>> MutateCatalogAsync<T>(TenantId tenant, CatalogWork<T> work, IdempotencyRequest? idempotency, CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> on the customer's state under its serialisation and commits its changes.</summary>
    Task<StoreResult<T>> MutateCustomerAsync<T>(TenantId tenant, string customerId, CustomerWork<T> work,
        IdempotencyRequest? idempotency, CancellationToken ct);

    /// <summary>Moves every row of a customer to a new id (customers.update with new_customer_id).</summary>
    Task<RenameOutcome> RenameCustomerAsync(TenantId tenant, string customerId, string newCustomerId, CancellationToken ct);

    /// <summary>
    /// Customers in creation order after <paramref name="afterSeq"/> (or, newest first, before it; 0 starts at the
    /// newest); returns ids and seqs.
    /// </summary>
    Task<IReadOnlyList<(string CustomerId, long Seq)>> ListCustomersAsync(TenantId tenant, long afterSeq, int limit, string? search,
        CancellationToken ct, bool newestFirst = false);

    /// <summary>Entities in creation order after <paramref name="afterSeq"/>, optionally of one customer.</summary>
    Task<IReadOnlyList<(string CustomerId, string EntityId, long Seq)>> ListEntitiesAsync(TenantId tenant, string? customerId,
        long afterSeq, int limit, CancellationToken ct);

    /// <summary>The customers that own an entity with this id (entities.get without customer_id).</summary>
    Task<IReadOnlyList<string>> FindEntityOwnersAsync(TenantId tenant, string entityId, CancellationToken ct);

    Task<IReadOnlyList<LedgerEvent>> ListEventsAsync(TenantId tenant, EventQuery query, CancellationToken ct);

    /// <summary>The customer holding a lock with this id (balances.finalize names only the lock).</summary>
    Task<string?> FindLockOwnerAsync(TenantId tenant, string lockId, CancellationToken ct);

    /// <summary>Whether any customer has this plan version attached (plans.update then makes a new version).</summary>
    Task<bool> IsPlanAttachedAsync(TenantId tenant, string planId, int version, CancellationToken ct);

    /// <summary>
    /// Whether any customer or entity holds a balance source of this feature (features.delete refuses then: a
    /// feature recreated under the same id must not inherit old grants).
    /// </summary>
    Task<bool> IsFeatureHeldAsync(TenantId tenant, string featureId, CancellationToken ct);

    /// <summary>
    /// Customers with something due at or before <paramref name="dueBy"/> (for the sweeper): a source to reset,
    /// or a pending lock that expired.
    /// </summary>
    Task<IReadOnlyList<(TenantId Tenant, string CustomerId)>> FindDueCustomersAsync(DateTimeOffset dueBy, int limit, CancellationToken ct);

    /// <summary>Deletes idempotency records older than the cutoff.</summary>
    Task<int> PruneIdempotencyAsync(DateTimeOffset olderThan, CancellationToken ct);

    // ---------------------------------------------------------------- API keys (see ApiKeys.cs)

    /// <summary>The active (not revoked) key with this hash, or null.</summary>
    Task<ApiKeyIdentity?> FindActiveApiKeyAsync(string keyHash, CancellationToken ct);

    /// <summary>
    /// A number bumped by every revocation, in the same transaction: a node that caches keys re-reads it now and then
    /// and drops its cache when it moved.
    /// </summary>
    Task<long> GetApiKeysVersionAsync(CancellationToken ct);

    /// <summary>
    /// Creates the organization if missing and registers the environment's keys (known hashes keep their id; a missing
    /// prefix is filled in). With <paramref name="revokeUnlisted"/>, the organization's other environment-sourced keys
    /// are revoked; keys made by keys.create are never touched. A revoked key stays revoked even when listed.
    /// </summary>
    Task<EnvKeySync> SyncEnvironmentKeysAsync(string orgId, string orgName, IReadOnlyList<NewApiKey> keys, bool revokeUnlisted,
        CancellationToken ct);

    /// <summary>Stores a key made by keys.create (source <c>api</c>) in the tenant.</summary>
    Task<ApiKeyInfo> CreateApiKeyAsync(TenantId tenant, NewApiKey key, CancellationToken ct);

    /// <summary>The tenant's keys, active and revoked, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(TenantId tenant, CancellationToken ct);

    /// <summary>Revokes a key of the tenant unless it is the tenant's last active one (decided atomically).</summary>
    Task<RevokeResult> RevokeApiKeyAsync(TenantId tenant, string keyId, CancellationToken ct);

    /// <summary>Moves each key's last-used time forward to the given time (never back).</summary>
    Task RecordApiKeyUseAsync(IReadOnlyList<(string KeyId, DateTimeOffset UsedAt)> uses, CancellationToken ct);

    // ---------------------------------------------------------------- Usage rollup (events.aggregate)

    /// <summary>
    /// Tracked usage per ledger name and UTC hour in [from, to), read from the hourly rollup the stores keep in the
    /// same commit as each ledger row (rebuildable from the ledger).
    /// </summary>
    Task<IReadOnlyList<UsageHour>> QueryUsageAsync(TenantId tenant, UsageQuery query, CancellationToken ct);
}
