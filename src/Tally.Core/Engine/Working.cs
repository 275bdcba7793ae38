using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// A copy-on-write view over a customer's state for one unit of work: the engine reads through it and
/// writes into it, and <see cref="ToChanges"/> turns what changed into rows for the store. The base state
/// is never touched, so a rejected request leaves nothing behind.
/// </summary>
public sealed class Working
{
    // Each overlay is created on its first write: most units write one kind of row or none (a check writes nothing).
    private Dictionary<string, BalanceSource?>? _sources;
    private Dictionary<string, RolloverBucket?>? _rollovers;
    private Dictionary<string, Entity?>? _entities;
    private Dictionary<string, CustomerPlan?>? _plans;
    private Dictionary<string, BalanceLock?>? _locks;
    private List<LedgerEvent>? _events;
    private List<Notification>? _notifications;
    private Customer? _customer;

    public Working(CustomerState state, bool customerIsNew = false)
    {
        Base = state;
        NextSeq = state.NextSeq;
        CustomerIsNew = customerIsNew;
        if (customerIsNew)
        {
            _customer = state.Customer;
        }
    }

    public CustomerState Base { get; }
    public bool CustomerIsNew { get; }
    public bool CustomerDeleted { get; private set; }
    public long NextSeq { get; private set; }

    public Customer Customer => _customer ?? Base.Customer;

    public IReadOnlyList<LedgerEvent> Events => _events ?? (IReadOnlyList<LedgerEvent>)[];

    public long TakeSeq() => NextSeq++;

    public void SetCustomer(Customer c) => _customer = c;

    public void DeleteCustomer() => CustomerDeleted = true;

    public BalanceSource? Source(string id) =>
        _sources is not null && _sources.TryGetValue(id, out var s) ? s : Base.FindSource(id);

    public IEnumerable<BalanceSource> SourcesOf(string featureId, string? entityId) =>
        Overlay(Base.SourcesOf(featureId, entityId), _sources, s => s.FeatureId == featureId && s.EntityId == entityId);

    public IEnumerable<BalanceSource> SourcesOf(string featureId) =>
        Overlay(Base.SourcesOf(featureId), _sources, s => s.FeatureId == featureId);

    public IEnumerable<BalanceSource> AllSources() => Overlay(Base.Sources, _sources, _ => true);

    public void Put(BalanceSource s) => Of(ref _sources)[s.Id] = s;

    public void DeleteSource(string id)
    {
        Of(ref _sources)[id] = null;
        foreach (var r in RolloversOf(id).ToList())
        {
            Of(ref _rollovers)[r.Id] = null;
        }
    }

    public IEnumerable<RolloverBucket> RolloversOf(string sourceId) =>
        Overlay(Base.RolloversOf(sourceId), _rollovers, r => r.SourceId == sourceId);

    public IEnumerable<RolloverBucket> AllRollovers() => Overlay(Base.Rollovers, _rollovers, _ => true);

    public void Put(RolloverBucket r) => Of(ref _rollovers)[r.Id] = r;

    public void DeleteRollover(string id) => Of(ref _rollovers)[id] = null;

    public Entity? Entity(string id) => _entities is not null && _entities.TryGetValue(id, out var e) ? e : Base.FindEntity(id);

    public IEnumerable<Entity> Entities() => Overlay(Base.Entities, _entities, _ => true);

    public void Put(Entity e) => Of(ref _entities)[e.Id] = e;

    public void DeleteEntity(string id) => Of(ref _entities)[id] = null;

    public CustomerPlan? Plan(string id) => _plans is not null && _plans.TryGetValue(id, out var p) ? p : Base.FindPlan(id);

    public IEnumerable<CustomerPlan> Plans() => Overlay(Base.Plans, _plans, _ => true);

    public void Put(CustomerPlan p) => Of(ref _plans)[p.Id] = p;

    public void DeletePlan(string id) => Of(ref _plans)[id] = null;

    public BalanceLock? Lock(string id) => _locks is not null && _locks.TryGetValue(id, out var l) ? l : Base.FindLock(id);

    public IEnumerable<BalanceLock> Locks() => Overlay(Base.Locks, _locks, _ => true);

    public void Put(BalanceLock l) => Of(ref _locks)[l.Id] = l;

    public void DeleteLock(string id) => Of(ref _locks)[id] = null;

    public void Append(LedgerEvent e) => (_events ??= []).Add(e);

    /// <summary>Raises a notification; it commits with this unit's changes or not at all.</summary>
    public void Raise(Notification notification) => (_notifications ??= []).Add(notification);

    /// <summary>The notifications raised so far in this unit.</summary>
    public IReadOnlyList<Notification> Notifications => _notifications ?? (IReadOnlyList<Notification>)[];

    /// <summary>
    /// The base state's cached order of <paramref name="featureId"/>'s sources, when it still holds for this unit: nothing
    /// written here added, removed or re-keyed a source of the feature. Read each entry through <see cref="Current"/>.
    /// </summary>
    internal SourceOrder? OrderOf(string featureId, bool sharedOnly = false)
    {
        if (_sources is not null)
        {
            foreach (var (id, now) in _sources)
            {
                var was = Base.FindSource(id);
                if ((was?.FeatureId == featureId || now?.FeatureId == featureId)
                    && (was is null || now is null || !SourceOrder.SameKey(was, now)))
                {
                    return null;
                }
            }
        }
        return Base.OrderOf(featureId, sharedOnly);
    }

    /// <summary>
    /// Appends one entity's sources of a feature, as this unit sees them, to <paramref name="into"/>; only valid where
    /// <see cref="OrderOf"/> answered for the feature (nothing written here added, removed or re-keyed one of them).
    /// </summary>
    internal void AddEntitySources(string featureId, string entityId, List<BalanceSource> into)
    {
        if (Base.SourceIdsOf(featureId, entityId) is { } ids)
        {
            foreach (var id in ids)
            {
                into.Add(Current(Base.FindSource(id)!));
            }
        }
    }

    /// <summary>True when this unit wrote a source of <paramref name="featureId"/> (or one that was of it).</summary>
    internal bool Touches(string featureId)
    {
        if (_sources is not null)
        {
            foreach (var (id, now) in _sources)
            {
                if (now?.FeatureId == featureId || Base.FindSource(id)?.FeatureId == featureId)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>A base source as this unit sees it (its latest balance).</summary>
    internal BalanceSource Current(BalanceSource s) =>
        _sources is not null && _sources.TryGetValue(s.Id, out var now) && now is not null ? now : s;

    /// <summary>The sources this unit wrote (null for deleted ones), or null when it wrote none.</summary>
    internal IReadOnlyDictionary<string, BalanceSource?>? SourceOverlay => _sources;

    /// <summary>True when some source may have a rollover bucket, so a reader must look them up per source.</summary>
    internal bool MayHaveRollovers => Base.HasRollovers || _rollovers is { Count: > 0 };

    public CustomerChanges ToChanges()
    {
        var c = new CustomerChanges
        {
            Customer = _customer,
            CustomerIsNew = CustomerIsNew,
            DeleteCustomer = CustomerDeleted,
            NextSeq = NextSeq,
            SeqAdvanced = NextSeq != Base.NextSeq,
        };
        Split(_entities, c.UpsertEntities, c.DeleteEntities);
        Split(_sources, c.UpsertSources, c.DeleteSources);
        foreach (var s in c.UpsertSources)
        {
            if (Base.FindSource(s.Id) is { } old && old with { Balance = s.Balance } == s)
            {
                c.BalanceOnlySources.Add(s.Id);
            }
        }
        Split(_rollovers, c.UpsertRollovers, c.DeleteRollovers);
        Split(_plans, c.UpsertPlans, c.DeletePlans);
        Split(_locks, c.UpsertLocks, c.DeleteLocks);
        if (_events is not null)
        {
            c.Events.AddRange(_events);
        }
        if (_notifications is not null)
        {
            c.Notifications.AddRange(_notifications);
        }
        return c;
    }

    private static void Split<T>(Dictionary<string, T?>? overlay, List<T> upserts, List<string> deletes)
        where T : class
    {
        if (overlay is null)
        {
            return;
        }
        foreach (var (id, value) in overlay)
        {
            if (value is null)
            {
                deletes.Add(id);
            }
            else
            {
                upserts.Add(value);
            }
        }
    }

    private static Dictionary<string, T?> Of<T>(ref Dictionary<string, T?>? overlay)
        where T : class => overlay ??= new(StringComparer.Ordinal);

    private static IEnumerable<T> Overlay<T>(IEnumerable<T> baseItems, Dictionary<string, T?>? overlay, Func<T, bool> belongs)
        where T : class
    {
        if (overlay is null || overlay.Count == 0)
        {
            foreach (var item in baseItems)
            {
                yield return item;
            }
            yield break;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in baseItems)
        {
            var id = IdOf(item);
            seen.Add(id);
            if (overlay.TryGetValue(id, out var replaced))
            {
                if (replaced is not null && belongs(replaced))
                {
                    yield return replaced;
                }
            }
            else
            {
                yield return item;
            }
        }
        foreach (var (id, value) in overlay)
        {
            if (value is not null && !seen.Contains(id) && belongs(value))
            {
                yield return value;
            }
        }
    }

    private static string IdOf<T>(T item) => item switch
    {
        BalanceSource s => s.Id,
        RolloverBucket r => r.Id,
        Entity e => e.Id,
        CustomerPlan p => p.Id,
        BalanceLock l => l.Id,
        _ => throw new InvalidOperationException($"No id for {typeof(T).Name}"),
    };
}
