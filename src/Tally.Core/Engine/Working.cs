using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// A copy-on-write view over a customer's state for one unit of work: the engine reads through it and
/// writes into it, and <see cref="ToChanges"/> turns what changed into rows for the store. The base state
/// is never touched, so a rejected request leaves nothing behind.
/// </summary>
public sealed class Working
{
    private readonly Dictionary<string, BalanceSource?> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RolloverBucket?> _rollovers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entity?> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CustomerPlan?> _plans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BalanceLock?> _locks = new(StringComparer.Ordinal);
    private readonly List<LedgerEvent> _events = [];
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

    public IReadOnlyList<LedgerEvent> Events => _events;

    public long TakeSeq() => NextSeq++;

    public void SetCustomer(Customer c) => _customer = c;

    public void DeleteCustomer() => CustomerDeleted = true;

    public BalanceSource? Source(string id) =>
        _sources.TryGetValue(id, out var s) ? s : Base.FindSource(id);

    public IEnumerable<BalanceSource> SourcesOf(string featureId, string? entityId) =>
        Overlay(Base.SourcesOf(featureId, entityId), _sources, s => s.FeatureId == featureId && s.EntityId == entityId);

    public IEnumerable<BalanceSource> SourcesOf(string featureId) =>
        Overlay(Base.SourcesOf(featureId), _sources, s => s.FeatureId == featureId);

    public IEnumerable<BalanceSource> AllSources() => Overlay(Base.Sources, _sources, _ => true);

    public void Put(BalanceSource s) => _sources[s.Id] = s;

    public void DeleteSource(string id)
    {
        _sources[id] = null;
        foreach (var r in RolloversOf(id).ToList())
        {
            _rollovers[r.Id] = null;
        }
    }

    public IEnumerable<RolloverBucket> RolloversOf(string sourceId) =>
        Overlay(Base.RolloversOf(sourceId), _rollovers, r => r.SourceId == sourceId);

    public IEnumerable<RolloverBucket> AllRollovers() => Overlay(Base.Rollovers, _rollovers, _ => true);

    public void Put(RolloverBucket r) => _rollovers[r.Id] = r;

    public void DeleteRollover(string id) => _rollovers[id] = null;

    public Entity? Entity(string id) => _entities.TryGetValue(id, out var e) ? e : Base.FindEntity(id);

    public IEnumerable<Entity> Entities() => Overlay(Base.Entities, _entities, _ => true);

    public void Put(Entity e) => _entities[e.Id] = e;

    public void DeleteEntity(string id) => _entities[id] = null;

    public CustomerPlan? Plan(string id) => _plans.TryGetValue(id, out var p) ? p : Base.FindPlan(id);

    public IEnumerable<CustomerPlan> Plans() => Overlay(Base.Plans, _plans, _ => true);

    public void Put(CustomerPlan p) => _plans[p.Id] = p;

    public void DeletePlan(string id) => _plans[id] = null;

    public BalanceLock? Lock(string id) => _locks.TryGetValue(id, out var l) ? l : Base.FindLock(id);

    public IEnumerable<BalanceLock> Locks() => Overlay(Base.Locks, _locks, _ => true);

    public void Put(BalanceLock l) => _locks[l.Id] = l;

    public void DeleteLock(string id) => _locks[id] = null;

    public void Append(LedgerEvent e) => _events.Add(e);

    /// <summary>Raises a notification; it commits with this unit's changes or not at all.</summary>
    public void Raise(Notification notification) => (_notifications ??= []).Add(notification);

    /// <summary>The notifications raised so far in this unit.</summary>
    public IReadOnlyList<Notification> Notifications => _notifications ?? (IReadOnlyList<Notification>)[];

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
        c.Events.AddRange(_events);
        if (_notifications is not null)
        {
            c.Notifications.AddRange(_notifications);
        }
        return c;
    }

    private static void Split<T>(Dictionary<string, T?> overlay, List<T> upserts, List<string> deletes)
        where T : class
    {
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

    private static IEnumerable<T> Overlay<T>(IEnumerable<T> baseItems, Dictionary<string, T?> overlay, Func<T, bool> belongs)
        where T : class
    {
        if (overlay.Count == 0)
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
