namespace Tally.Core.Domain;

/// <summary>
/// Everything stored for one customer: the unit the engine decides over and the store serialises on.
/// Read-only to the engine; only the store mutates it, by applying a committed <see cref="CustomerChanges"/>.
/// Indexed so that one entity's track costs the same with ten or ten thousand entities.
/// </summary>
public sealed class CustomerState
{
    private readonly Dictionary<string, Entity> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BalanceSource> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _sourcesByFeature = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Feature, string Entity), HashSet<string>> _sourcesByScope = [];
    private readonly Dictionary<string, RolloverBucket> _rollovers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _rolloversBySource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CustomerPlan> _plans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BalanceLock> _locks = new(StringComparer.Ordinal);

    // Derived, per feature with sources: dropped when the feature's grant set changes, patched when a grant only moves.
    private readonly Dictionary<string, SourceOrder> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceOrder> _sharedOrders = new(StringComparer.Ordinal);

    private DateTimeOffset? _nextDue;
    private bool _nextDueKnown;

    public CustomerState(Customer customer) => Customer = customer;

    /// <summary>
    /// The earliest moment something of this customer falls due (a reset, a rollover or lock expiry), so the hot
    /// path can skip settling in O(1); recomputed only after a change touches the earliest item.
    /// </summary>
    public DateTimeOffset? NextDueAt
    {
        get
        {
            if (!_nextDueKnown)
            {
                _nextDue = Min(Min(Min(_sources.Values.Select(s => s.NextResetAt)), Min(Min(_rollovers.Values.Select(r => r.ExpiresAt)),
                    Min(_locks.Values.Select(l => l.ExpiresAt)))), Min(_plans.Values.Select(p => p.DueAt())));
                _nextDueKnown = true;
            }
            return _nextDue;
        }
    }

    private static DateTimeOffset? Min(IEnumerable<DateTimeOffset?> values)
    {
        DateTimeOffset? min = null;
        foreach (var v in values)
        {
            if (v is { } x && (min is null || x < min))
            {
                min = x;
            }
        }
        return min;
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a < b ? a : b);

    public Customer Customer { get; private set; }

    /// <summary>The next sequence number for a new source, rollover or entity of this customer.</summary>
    public long NextSeq { get; private set; } = 1;

    public IReadOnlyCollection<Entity> Entities => _entities.Values;
    public IReadOnlyCollection<BalanceSource> Sources => _sources.Values;
    public IReadOnlyCollection<RolloverBucket> Rollovers => _rollovers.Values;
    public IReadOnlyCollection<CustomerPlan> Plans => _plans.Values;
    public IReadOnlyCollection<BalanceLock> Locks => _locks.Values;

    public Entity? FindEntity(string id) => _entities.GetValueOrDefault(id);
    public BalanceSource? FindSource(string id) => _sources.GetValueOrDefault(id);
    public RolloverBucket? FindRollover(string id) => _rollovers.GetValueOrDefault(id);
    public CustomerPlan? FindPlan(string id) => _plans.GetValueOrDefault(id);
    public BalanceLock? FindLock(string id) => _locks.GetValueOrDefault(id);

    /// <summary>Every source of a feature, customer-level and entity-owned.</summary>
    public IEnumerable<BalanceSource> SourcesOf(string featureId) =>
        _sourcesByFeature.TryGetValue(featureId, out var ids) ? ids.Select(id => _sources[id]) : [];

    /// <summary>Sources of a feature owned by exactly this scope (entity id, or null for customer level).</summary>
    public IEnumerable<BalanceSource> SourcesOf(string featureId, string? entityId) =>
        _sourcesByScope.TryGetValue((featureId, entityId ?? ""), out var ids) ? ids.Select(id => _sources[id]) : [];

    /// <summary>
    /// A feature's sources in deduction and in view order (built on first use, kept until its grant set changes): all of
    /// them, or with <paramref name="sharedOnly"/> only the customer-level ones, which is all an entity's request needs
    /// beyond its own few, so adding an entity's grant does not make the next entity request re-sort the feature.
    /// </summary>
    public SourceOrder OrderOf(string featureId, bool sharedOnly = false)
    {
        var cache = sharedOnly ? _sharedOrders : _orders;
        if (cache.TryGetValue(featureId, out var order))
        {
            return order;
        }
        var ids = sharedOnly ? _sourcesByScope.GetValueOrDefault((featureId, "")) : _sourcesByFeature.GetValueOrDefault(featureId);
        var sources = new BalanceSource[ids?.Count ?? 0];
        if (ids is not null)
        {
            var i = 0;
            foreach (var id in ids)
            {
                sources[i++] = _sources[id];
            }
        }
        order = SourceOrder.Build(sources);
        if (sources.Length > 0)
        {
            cache[featureId] = order;
        }
        return order;
    }

    /// <summary>The ids of one scope's sources of a feature (entity id, or null for customer level), without copying.</summary>
    internal HashSet<string>? SourceIdsOf(string featureId, string? entityId) =>
        _sourcesByScope.GetValueOrDefault((featureId, entityId ?? ""));

    /// <summary>True when the customer has any rollover bucket, so readers can skip looking per source.</summary>
    public bool HasRollovers => _rollovers.Count > 0;

    public IEnumerable<RolloverBucket> RolloversOf(string sourceId) =>
        _rolloversBySource.TryGetValue(sourceId, out var ids) ? ids.Select(id => _rollovers[id]) : [];

    public void Apply(CustomerChanges changes)
    {
        if (changes.UpsertSources.Count > 0 || changes.DeleteSources.Count > 0 || changes.UpsertRollovers.Count > 0
            || changes.DeleteRollovers.Count > 0 || changes.UpsertLocks.Count > 0 || changes.DeleteLocks.Count > 0
            || changes.UpsertPlans.Count > 0 || changes.DeletePlans.Count > 0)
        {
            ObserveDueChanges(changes);
        }
        if (changes.Customer is { } c)
        {
            Customer = c;
        }
        foreach (var e in changes.UpsertEntities)
        {
            _entities[e.Id] = e;
        }
        foreach (var id in changes.DeleteEntities)
        {
            _entities.Remove(id);
        }
        foreach (var s in changes.UpsertSources)
        {
            UpsertSource(s);
        }
        foreach (var id in changes.DeleteSources)
        {
            RemoveSource(id);
        }
        foreach (var r in changes.UpsertRollovers)
        {
            if (_rollovers.TryAdd(r.Id, r))
            {
                IndexAdd(_rolloversBySource, r.SourceId, r.Id);
            }
            else
            {
                _rollovers[r.Id] = r;
            }
        }
        foreach (var id in changes.DeleteRollovers)
        {
            RemoveRollover(id);
        }
        foreach (var p in changes.UpsertPlans)
        {
            _plans[p.Id] = p;
        }
        foreach (var id in changes.DeletePlans)
        {
            _plans.Remove(id);
        }
        foreach (var l in changes.UpsertLocks)
        {
            _locks[l.Id] = l;
        }
        foreach (var id in changes.DeleteLocks)
        {
            _locks.Remove(id);
        }
        NextSeq = Math.Max(NextSeq, changes.NextSeq);
    }

    // Keeps NextDueAt exact without a scan in the common case: an update that leaves the earliest item alone and
    // brings nothing earlier changes nothing; otherwise the next read recomputes it once.
    private void ObserveDueChanges(CustomerChanges changes)
    {
        if (!_nextDueKnown)
        {
            return;
        }
        var min = _nextDue;
        bool TouchesMin(DateTimeOffset? old) => old is { } o && min is { } m && o <= m;
        foreach (var s in changes.UpsertSources)
        {
            if ((_sources.TryGetValue(s.Id, out var old) && TouchesMin(old.NextResetAt) && old.NextResetAt != s.NextResetAt)
                || (s.NextResetAt is { } n && (min is null || n < min)))
            {
                _nextDueKnown = false;
                return;
            }
        }
        foreach (var r in changes.UpsertRollovers)
        {
            if ((_rollovers.TryGetValue(r.Id, out var old) && TouchesMin(old.ExpiresAt) && old.ExpiresAt != r.ExpiresAt)
                || (r.ExpiresAt is { } e && (min is null || e < min)))
            {
                _nextDueKnown = false;
                return;
            }
        }
        foreach (var l in changes.UpsertLocks)
        {
            if ((_locks.TryGetValue(l.Id, out var old) && TouchesMin(old.ExpiresAt) && old.ExpiresAt != l.ExpiresAt)
                || (l.ExpiresAt is { } e && (min is null || e < min)))
            {
                _nextDueKnown = false;
                return;
            }
        }
        // Plan changes are rare (attach, update, a plan ending): recompute rather than track them.
        if (changes.DeleteSources.Count > 0 || changes.DeleteRollovers.Count > 0 || changes.DeleteLocks.Count > 0
            || changes.UpsertPlans.Count > 0 || changes.DeletePlans.Count > 0)
        {
            _nextDueKnown = false;
        }
    }

    /// <summary>Loads rows read from storage (no change tracking).</summary>
    public void Load(IEnumerable<Entity> entities, IEnumerable<BalanceSource> sources, IEnumerable<RolloverBucket> rollovers,
        IEnumerable<CustomerPlan> plans, IEnumerable<BalanceLock> locks, long nextSeq)
    {
        var changes = new CustomerChanges { NextSeq = nextSeq };
        changes.UpsertEntities.AddRange(entities);
        changes.UpsertSources.AddRange(sources);
        changes.UpsertRollovers.AddRange(rollovers);
        changes.UpsertPlans.AddRange(plans);
        changes.UpsertLocks.AddRange(locks);
        Apply(changes);
        var maxSeq = _sources.Values.Select(s => s.Seq).Concat(_entities.Values.Select(e => e.Seq)).DefaultIfEmpty(0).Max();
        NextSeq = Math.Max(NextSeq, maxSeq + 1);
    }

    private void UpsertSource(BalanceSource s)
    {
        if (_sources.TryGetValue(s.Id, out var old))
        {
            if (old.FeatureId != s.FeatureId || old.EntityId != s.EntityId)
            {
                RemoveSource(s.Id);
            }
            else
            {
                _sources[s.Id] = s;
                Patch(_orders, old, s);
                if (s.EntityId is null)
                {
                    Patch(_sharedOrders, old, s);
                }
                return;
            }
        }
        _sources[s.Id] = s;
        DropOrders(s);
        IndexAdd(_sourcesByFeature, s.FeatureId, s.Id);
        var key = (s.FeatureId, s.EntityId ?? "");
        if (!_sourcesByScope.TryGetValue(key, out var set))
        {
            _sourcesByScope[key] = set = new HashSet<string>(StringComparer.Ordinal);
        }
        set.Add(s.Id);
    }

    private void RemoveSource(string id)
    {
        if (!_sources.Remove(id, out var s))
        {
            return;
        }
        DropOrders(s);
        if (_sourcesByFeature.TryGetValue(s.FeatureId, out var ids))
        {
            ids.Remove(id);
        }
        if (_sourcesByScope.TryGetValue((s.FeatureId, s.EntityId ?? ""), out var scoped))
        {
            scoped.Remove(id);
        }
        if (_rolloversBySource.TryGetValue(id, out var rolls))
        {
            foreach (var r in rolls.ToList())
            {
                _rollovers.Remove(r);
            }
            _rolloversBySource.Remove(id);
        }
    }

    // A source that only moved keeps its place in a cached order; any other change drops the orders it belongs to.
    private static void Patch(Dictionary<string, SourceOrder> orders, BalanceSource old, BalanceSource s)
    {
        if (orders.TryGetValue(s.FeatureId, out var order) && !(SourceOrder.SameKey(old, s) && order.Replace(old, s)))
        {
            orders.Remove(s.FeatureId);
        }
    }

    private void DropOrders(BalanceSource s)
    {
        _orders.Remove(s.FeatureId);
        if (s.EntityId is null)
        {
            _sharedOrders.Remove(s.FeatureId);
        }
    }

    private void RemoveRollover(string id)
    {
        if (_rollovers.Remove(id, out var r) && _rolloversBySource.TryGetValue(r.SourceId, out var ids))
        {
            ids.Remove(id);
        }
    }

    private static void IndexAdd<TList>(Dictionary<string, TList> index, string key, string id)
        where TList : ICollection<string>, new()
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = new TList();
        }
        list.Add(id);
    }
}

/// <summary>What one unit of work changes for one customer: rows to upsert or delete and ledger rows to append.</summary>
public sealed class CustomerChanges
{
    /// <summary>The customer row when it is new or changed.</summary>
    public Customer? Customer { get; set; }
    public bool CustomerIsNew { get; set; }
    public bool DeleteCustomer { get; set; }

    public List<Entity> UpsertEntities { get; } = [];
    public List<string> DeleteEntities { get; } = [];
    public List<BalanceSource> UpsertSources { get; } = [];

    /// <summary>Upserted sources of which only the balance moved (most tracks): a store may write just that column.</summary>
    public HashSet<string> BalanceOnlySources { get; } = new(StringComparer.Ordinal);
    public List<string> DeleteSources { get; } = [];
    public List<RolloverBucket> UpsertRollovers { get; } = [];
    public List<string> DeleteRollovers { get; } = [];
    public List<CustomerPlan> UpsertPlans { get; } = [];
    public List<string> DeletePlans { get; } = [];
    public List<BalanceLock> UpsertLocks { get; } = [];
    public List<string> DeleteLocks { get; } = [];
    public List<LedgerEvent> Events { get; } = [];

    /// <summary>Webhook notifications raised by the unit, committed in the same transaction (the outbox).</summary>
    public List<Notification> Notifications { get; } = [];
    public long NextSeq { get; set; }

    /// <summary>True when the unit took new sequence numbers, so the stored counter must move (rarely: new rows).</summary>
    public bool SeqAdvanced { get; set; }

    public bool IsEmpty =>
        Customer is null && !DeleteCustomer && UpsertEntities.Count == 0 && DeleteEntities.Count == 0
        && UpsertSources.Count == 0 && DeleteSources.Count == 0 && UpsertRollovers.Count == 0
        && DeleteRollovers.Count == 0 && UpsertPlans.Count == 0 && DeletePlans.Count == 0
        && UpsertLocks.Count == 0 && DeleteLocks.Count == 0 && Events.Count == 0 && Notifications.Count == 0;
}

public enum LockStatus
{
    Pending,
    Confirmed,
    Released,
}

/// <summary>A reservation made by check/track with a lock, with the per-source provenance needed to unwind it.</summary>
public sealed record BalanceLock
{
    public required string Id { get; init; }
    public required string FeatureId { get; init; }
    public string? EntityId { get; init; }
    public decimal Value { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public LockStatus Status { get; init; } = LockStatus.Pending;
    public IReadOnlyList<SourceDelta> Deltas { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>True when the lock came from a track (its usage event exists); a check's lock records usage at confirm.</summary>
    public bool UsageRecorded { get; init; }
}
