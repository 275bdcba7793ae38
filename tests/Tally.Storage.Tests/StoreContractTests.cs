using System.Text;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

/// <summary>
/// The storage contract, written once and run against every store (one sealed subclass each). Every test gets
/// an empty database of its own; random data comes from a fixed seed.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    protected static readonly TenantId Tenant = new("org_test", Env.Sandbox);
    protected static readonly TenantId LiveTenant = new("org_test", Env.Live);
    protected static readonly TimeSpan Retention = TimeSpan.FromDays(1);
    protected static readonly DateTimeOffset T0 = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly List<ITallyStore> _open = [];
    private int _ids;

    protected TestClock Clock { get; } = new(T0);

    /// <summary>The store opened on this test's database before the test starts.</summary>
    protected ITallyStore Store { get; private set; } = null!;

    /// <summary>Creates this test's empty database.</summary>
    protected abstract Task CreateDatabaseAsync();

    /// <summary>Removes this test's database (every store on it is disposed by then).</summary>
    protected abstract Task DropDatabaseAsync();

    /// <summary>A new, uninitialised store instance on this test's database.</summary>
    protected abstract ITallyStore NewStore(TimeProvider time, TimeSpan idempotencyRetention);

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        Store = await OpenStoreAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _open)
        {
            await s.DisposeAsync();
        }
        _open.Clear();
        await DropDatabaseAsync();
    }

    protected async Task<ITallyStore> OpenStoreAsync()
    {
        var store = NewStore(Clock, Retention);
        _open.Add(store);
        await store.InitializeAsync(None);
        return store;
    }

    /// <summary>Disposes <see cref="Store"/> and opens a new instance on the same database: what it reads is what was made durable.</summary>
    protected async Task<ITallyStore> ReopenAsync()
    {
        _open.Remove(Store);
        await Store.DisposeAsync();
        Store = await OpenStoreAsync();
        return Store;
    }

    protected string NewId(string prefix) => prefix + Interlocked.Increment(ref _ids).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- helpers

    protected static async Task CreateCustomerAsync(ITallyStore store, string id, string? name = null, string? email = null,
        TenantId? tenant = null, Action<Working>? with = null)
    {
        var result = await store.MutateCustomerAsync(tenant ?? Tenant, id, (state, _) =>
        {
            Assert.Null(state);
            var w = new Working(new CustomerState(Customer(id, T0, name, email)), customerIsNew: true);
            with?.Invoke(w);
            return new Decision<bool>(true, w.ToChanges());
        }, null, None);
        Assert.Equal(StoreOutcome.Done, result.Outcome);
    }

    /// <summary>Runs <paramref name="act"/> on the existing customer through <see cref="Working"/> and commits what it changed.</summary>
    protected static Task<StoreResult<T>> MutateAsync<T>(ITallyStore store, string id, Func<Working, T> act,
        IdempotencyRequest? idempotency = null, Func<T, byte[]>? respond = null, TenantId? tenant = null, int status = 200) =>
        store.MutateCustomerAsync(tenant ?? Tenant, id, (state, _) =>
        {
            var w = new Working(state ?? throw new InvalidOperationException($"customer {id} is missing"));
            var result = act(w);
            return new Decision<T>(result, w.ToChanges(), respond?.Invoke(result), status);
        }, idempotency, None);

    protected static async Task<Snapshot?> LoadAsync(ITallyStore store, string id, TenantId? tenant = null) =>
        (await store.MutateCustomerAsync(tenant ?? Tenant, id,
            (state, _) => new Decision<Snapshot?>(state is null ? null : Snapshot.Of(state)), null, None)).Result;

    /// <summary>Subtracts one from a source and appends a Track event; answers the new balance.</summary>
    protected Func<Working, decimal> Spend(string customerId, string sourceId = "src_main", decimal amount = 1m) => w =>
    {
        var s = w.Source(sourceId)!;
        var next = s with { Balance = s.Balance - amount };
        w.Put(next);
        w.Append(Event(NewId("evt_"), customerId, "messages", amount, Clock.GetUtcNow()));
        return next.Balance;
    };

    protected static byte[] Bytes(decimal balance) => Encoding.UTF8.GetBytes($$"""{"balance":"{{balance}}"}""");

    protected static Task<IReadOnlyList<LedgerEvent>> EventsOfAsync(ITallyStore store, string customerId, TenantId? tenant = null) =>
        store.ListEventsAsync(tenant ?? Tenant, new EventQuery { CustomerId = customerId, Limit = 10_000 }, None);

    protected static async Task<decimal> BalanceAsync(ITallyStore store, string customerId, string sourceId = "src_main") =>
        (await LoadAsync(store, customerId))!.Sources.Single(s => s.Id == sourceId).Balance;

    private static Task<StoreResult<bool>> CatalogAsync(ITallyStore store, Action<CatalogChanges> change, TenantId? tenant = null) =>
        store.MutateCatalogAsync(tenant ?? Tenant, _ =>
        {
            var c = new CatalogChanges();
            change(c);
            return new CatalogDecision<bool>(true, c);
        }, null, None);

    private static void AssertCatalog(IEnumerable<Feature> features, IEnumerable<Core.Domain.Plan> plans, Catalog actual)
    {
        AssertSame(features.OrderBy(f => f.Id, StringComparer.Ordinal).ToList(),
            actual.Features.OrderBy(f => f.Id, StringComparer.Ordinal).ToList());
        AssertSame(plans.OrderBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Version).ToList(),
            actual.AllPlanVersions.OrderBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Version).ToList());
    }

    // ---------------------------------------------------------------- lifecycle, organizations

    [StoreFact]
    public async Task Initialize_Twice_IsReadyAndHarmless()
    {
        Assert.True(await Store.IsReadyAsync(None));
        await Store.InitializeAsync(None);
        Assert.True(await Store.IsReadyAsync(None));
    }

    [StoreFact]
    public async Task OrganizationsAndApiKeys_RegisteredTwice_CreatedOnceAndFoundByHash()
    {
        Assert.False(await Store.AnyOrganizationAsync(None));
        Assert.Null(await Store.FindApiKeyAsync("hash_live", None));
        await Store.EnsureOrganizationAsync("org_a", "Acme", [("hash_test", Env.Sandbox), ("hash_live", Env.Live)], None);
        await Store.EnsureOrganizationAsync("org_a", "Acme renamed", [("hash_test", Env.Sandbox)], None);
        Assert.True(await Store.AnyOrganizationAsync(None));
        await ReopenAsync();
        Assert.Equal(new ApiKeyMatch("org_a", Env.Live), await Store.FindApiKeyAsync("hash_live", None));
        Assert.Equal(new ApiKeyMatch("org_a", Env.Sandbox), await Store.FindApiKeyAsync("hash_test", None));
        Assert.Null(await Store.FindApiKeyAsync("hash_other", None));
    }

    // ---------------------------------------------------------------- catalog

    [StoreFact]
    public async Task Catalog_CreateUpdateDelete_SurviveANewStoreInstance()
    {
        Assert.Empty((await Store.GetCatalogAsync(Tenant, None)).Features);
        var messages = Feature("messages", T0);
        var seats = Feature("seats", T0.AddMinutes(1), FeatureType.Boolean);
        var credits = Feature("credits", T0.AddMinutes(2), FeatureType.CreditSystem);
        var pro1 = CatalogPlan("pro", 1, T0);
        var pro2 = CatalogPlan("pro", 2, T0.AddDays(1));
        var free = CatalogPlan("free", 1, T0);
        await CatalogAsync(Store, c =>
        {
            c.UpsertFeatures.AddRange([messages, seats, credits]);
            c.UpsertPlans.AddRange([pro1, pro2, free]);
        });
        AssertCatalog([messages, seats, credits], [pro1, pro2, free], await Store.GetCatalogAsync(Tenant, None));
        Assert.Empty((await Store.GetCatalogAsync(LiveTenant, None)).Features);

        await ReopenAsync();
        var catalog = await Store.GetCatalogAsync(Tenant, None);
        AssertCatalog([messages, seats, credits], [pro1, pro2, free], catalog);
        Assert.Equal(2, catalog.Plan("pro")!.Version);
        Assert.Equal(credits.Id, catalog.CreditSystemsContaining("messages").Single().Id);

        var messages2 = messages with { Name = "Messages v2", EventNames = ["sent", "received"] };
        var pro2b = pro2 with { Description = "changed" };
        await CatalogAsync(Store, c =>
        {
            c.UpsertFeatures.Add(messages2);
            c.DeleteFeatures.Add("seats");
            c.DeletePlans.Add(("pro", 1));
            c.DeletePlans.Add(("free", null));
            c.UpsertPlans.Add(pro2b);
        });
        AssertCatalog([messages2, credits], [pro2b], await Store.GetCatalogAsync(Tenant, None));
        await ReopenAsync();
        AssertCatalog([messages2, credits], [pro2b], await Store.GetCatalogAsync(Tenant, None));
    }

    [StoreFact]
    public async Task Catalog_Rename_MovesTheFeatureToItsNewIdDurably()
    {
        var messages = Feature("messages", T0);
        await CatalogAsync(Store, c => c.UpsertFeatures.Add(messages));
        await CatalogAsync(Store, c => c.RenameFeatures.Add(("messages", "msgs")));

        var expected = messages with { Id = "msgs" };
        AssertCatalog([expected], [], await Store.GetCatalogAsync(Tenant, None));
        await ReopenAsync();
        AssertCatalog([expected], [], await Store.GetCatalogAsync(Tenant, None));
    }

    [StoreFact]
    public async Task MutateCatalog_DecisionWithoutChanges_SeesCurrentCatalogAndCommitsNothing()
    {
        await CatalogAsync(Store, c => c.UpsertFeatures.Add(Feature("messages", T0)));
        var result = await Store.MutateCatalogAsync(Tenant, catalog =>
            new CatalogDecision<int>(catalog.Features.Count, new CatalogChanges()), null, None);
        Assert.Equal(StoreOutcome.Done, result.Outcome);
        Assert.Equal(1, result.Result);
        await ReopenAsync();
        Assert.Single((await Store.GetCatalogAsync(Tenant, None)).Features);
    }

    [StoreFact]
    public async Task MutateCatalog_WithIdempotencyKey_IsReplayed()
    {
        var req = new IdempotencyRequest("features.create:k1", "hash1");
        var body = Encoding.UTF8.GetBytes("created");
        var runs = 0;
        CatalogWork<string> work = _ =>
        {
            Interlocked.Increment(ref runs);
            var c = new CatalogChanges();
            c.UpsertFeatures.Add(Feature("f" + runs, T0));
            return new CatalogDecision<string>("ok", c, body, 201);
        };
        Assert.Equal(StoreOutcome.Done, (await Store.MutateCatalogAsync(Tenant, work, req, None)).Outcome);
        var replay = await Store.MutateCatalogAsync(Tenant, work, req, None);
        Assert.Equal(StoreOutcome.Replayed, replay.Outcome);
        Assert.Equal(body, replay.Replay!.Body);
        Assert.Equal(201, replay.Replay.Status);
        var conflict = await Store.MutateCatalogAsync(Tenant, work, req with { RequestHash = "hash2" }, None);
        Assert.Equal(StoreOutcome.KeyConflict, conflict.Outcome);
        Assert.Equal(1, runs);
        Assert.Single((await Store.GetCatalogAsync(Tenant, None)).Features);
    }

    // ---------------------------------------------------------------- customers

    [StoreFact]
    public async Task MutateCustomer_NewCustomer_CreatedByFirstMutationAndReloadsExactly()
    {
        Assert.Null(await LoadAsync(Store, "alice"));
        await CreateCustomerAsync(Store, "alice", "Alice", "alice@example.com");

        var loaded = await LoadAsync(Store, "alice");
        AssertSame(Customer("alice", T0, "Alice", "alice@example.com"), loaded!.Customer);
        Assert.Empty(loaded.Sources);
        await ReopenAsync();
        AssertSame(Customer("alice", T0, "Alice", "alice@example.com"), (await LoadAsync(Store, "alice"))!.Customer);
        Assert.Null(await LoadAsync(Store, "alice", LiveTenant));

        // A later change of the customer row itself.
        await MutateAsync(Store, "alice", w =>
        {
            w.SetCustomer(w.Customer with { Name = "Alice B", MetadataJson = "{}" });
            return true;
        });
        await ReopenAsync();
        Assert.Equal("Alice B", (await LoadAsync(Store, "alice"))!.Customer.Name);
    }

    [StoreFact]
    public async Task MutateCustomer_RowsOfEveryKind_RoundTripExactlyAndDeletesRemoveThem()
    {
        await CreateCustomerAsync(Store, "c1");
        await MutateAsync(Store, "c1", w =>
        {
            w.Put(Entity("e1", w.TakeSeq(), T0));
            w.Put(Entity("e2", w.TakeSeq(), T0));
            w.Put(Source("src_a", w.TakeSeq(), T0, balance: 0.1m + 0.2m));
            w.Put(Source("src_b", w.TakeSeq(), T0, balance: -12.000000001m, entityId: "e1", nextResetAt: T0.AddMonths(1)));
            w.Put(Rollover("r1", "src_a", T0));
            w.Put(Rollover("r2", "src_b", T0));
            w.Put(Plan("cp_1", T0));
            w.Put(Plan("cp_2", T0) with { EntityId = "e1", Options = new Dictionary<string, decimal>() });
            w.Put(Lock("l1", "src_a", T0));
            w.Put(Lock("l2", "src_b", T0) with { Status = LockStatus.Pending, ExpiresAt = null, Deltas = [] });
            return true;
        });
        var expected = await LoadAsync(Store, "c1");
        Assert.Equal(5, expected!.NextSeq);
        var a = expected.Sources[0];
        Assert.Equal(0.3m, a.Balance);
        Assert.Equal("0.3", a.Balance.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1234567890123456.000000000001m, a.PrepaidGrant);
        Assert.Equal(-0.000000000000000000000001m, a.Adjustment);

        await ReopenAsync();
        var reloaded = await LoadAsync(Store, "c1");
        AssertSame(expected, reloaded);
        AssertSame(Source("src_b", 4, T0, balance: -12.000000001m, entityId: "e1", nextResetAt: T0.AddMonths(1)),
            reloaded!.Sources.Single(s => s.Id == "src_b"));
        AssertSame(Plan("cp_1", T0), reloaded.Plans.Single(p => p.Id == "cp_1"));
        AssertSame(Lock("l1", "src_a", T0), reloaded.Locks.Single(l => l.Id == "l1"));
        AssertSame(Rollover("r1", "src_a", T0), reloaded.Rollovers.Single(r => r.Id == "r1"));
        AssertSame(Entity("e2", 2, T0), reloaded.Entities.Single(e => e.Id == "e2"));

        // Updates in place.
        await MutateAsync(Store, "c1", w =>
        {
            w.Put(w.Source("src_a")! with { Balance = 0.7m, NextResetAt = T0.AddDays(1) });
            w.Put(w.Lock("l1")! with { Status = LockStatus.Released });
            w.Put(w.Entity("e2")! with { Name = "renamed" });
            return true;
        });
        await ReopenAsync();
        var updated = await LoadAsync(Store, "c1");
        Assert.Equal(0.7m, updated!.Sources.Single(s => s.Id == "src_a").Balance);
        Assert.Equal(LockStatus.Released, updated.Locks.Single(l => l.Id == "l1").Status);
        Assert.Equal("renamed", updated.Entities.Single(e => e.Id == "e2").Name);

        // Deletes, one of each kind.
        await MutateAsync(Store, "c1", w =>
        {
            w.DeleteEntity("e2");
            w.DeleteRollover("r1");
            w.DeletePlan("cp_2");
            w.DeleteLock("l2");
            return true;
        });
        // A source deleted by a change that does not list its rollovers still takes them along.
        await Store.MutateCustomerAsync(Tenant, "c1", (_, _) =>
        {
            var c = new CustomerChanges();
            c.DeleteSources.Add("src_b");
            return new Decision<bool>(true, c);
        }, null, None);
        await ReopenAsync();
        var after = await LoadAsync(Store, "c1");
        Assert.Equal(["e1"], after!.Entities.Select(e => e.Id));
        Assert.Equal(["src_a"], after.Sources.Select(s => s.Id));
        Assert.Empty(after.Rollovers);
        Assert.Equal(["cp_1"], after.Plans.Select(p => p.Id));
        Assert.Equal(["l1"], after.Locks.Select(l => l.Id));
        Assert.Equal(5, after.NextSeq);
    }

    [StoreFact]
    public async Task MutateCustomer_FailingUnit_CommitsNothingAndReleasesTheCustomer()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0)));
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => Store.MutateCustomerAsync<bool>(Tenant, "c1",
            (_, _) => throw new InvalidTimeZoneException("boom"), null, None));
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"))).Outcome);
        Assert.Equal(99m, await BalanceAsync(Store, "c1"));
    }

    [StoreFact]
    public async Task MutateCustomer_ChangeForMissingCustomerWithoutItsRow_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.MutateCustomerAsync(Tenant, "ghost", (state, _) =>
        {
            var c = new CustomerChanges();
            c.UpsertSources.Add(Source("src_main", 1, T0));
            return new Decision<bool>(true, c);
        }, null, None));
        Assert.Null(await LoadAsync(Store, "ghost"));
        await CreateCustomerAsync(Store, "ghost");
        Assert.Empty((await LoadAsync(Store, "ghost"))!.Sources);
    }

    [StoreFact]
    public async Task MutateCustomer_SameIdInTwoEnvironments_IsTwoCustomers()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        await CreateCustomerAsync(Store, "c1", tenant: LiveTenant, with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 20m)));
        await MutateAsync(Store, "c1", Spend("c1"), tenant: LiveTenant);
        Assert.Equal(10m, await BalanceAsync(Store, "c1"));
        Assert.Equal(19m, (await LoadAsync(Store, "c1", LiveTenant))!.Sources.Single().Balance);
        Assert.Empty(await EventsOfAsync(Store, "c1"));
        Assert.Single(await EventsOfAsync(Store, "c1", LiveTenant));
    }

    // ---------------------------------------------------------------- events

    [StoreFact]
    public async Task ListEvents_EveryFilterAndBeforeSeq_NewestFirst()
    {
        var random = new Random(20250115);
        await CreateCustomerAsync(Store, "c1");
        await CreateCustomerAsync(Store, "c2");
        await CreateCustomerAsync(Store, "c1", tenant: LiveTenant);
        var appended = new List<LedgerEvent>();
        string?[] entities = [null, "e1", "e2"];
        string[] names = ["api_call", "upload", "api_call"];
        for (var i = 0; i < 24; i++)
        {
            var customer = i % 3 == 2 ? "c2" : "c1";
            var value = Math.Round((decimal)random.NextDouble() * 100m, random.Next(0, 9));
            var e = Event($"evt_{i:D2}", customer, names[i % 3], value, T0.AddMinutes(i).AddMilliseconds(i), entities[i % 3 == 2 ? 0 : random.Next(3)],
                idempotencyKey: i % 4 == 0 ? $"idem_{i}" : null);
            var events = new List<LedgerEvent> { e };
            if (i % 5 == 0)
            {
                // Ledger rows that are not tracks never show up in events.list.
                events.Add(e with { Id = $"grant_{i:D2}", Kind = LedgerKind.Grant });
            }
            await Store.MutateCustomerAsync(Tenant, customer, (state, _) =>
            {
                var w = new Working(state!);
                events.ForEach(w.Append);
                return new Decision<bool>(true, w.ToChanges());
            }, null, None);
            appended.Add(e);
        }
        await Store.MutateCustomerAsync(LiveTenant, "c1", (state, _) =>
        {
            var w = new Working(state!);
            w.Append(Event("evt_live", "c1", "api_call", 1m, T0));
            return new Decision<bool>(true, w.ToChanges());
        }, null, None);
        await ReopenAsync();

        async Task Check(EventQuery q, Func<LedgerEvent, bool> expected)
        {
            var listed = await Store.ListEventsAsync(Tenant, q with { Limit = 1000 }, None);
            Assert.Equal(appended.Where(expected).Select(e => e.Id).Reverse(), listed.Select(e => e.Id));
        }

        var all = await Store.ListEventsAsync(Tenant, new EventQuery { Limit = 1000 }, None);
        Assert.Equal(appended.Select(e => e.Id).Reverse(), all.Select(e => e.Id));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Seq > p.Second.Seq));
        foreach (var listed in all)
        {
            AssertSame(appended.Single(e => e.Id == listed.Id), listed with { Seq = 0 });
        }

        await Check(new EventQuery { CustomerId = "c1" }, e => e.CustomerId == "c1");
        await Check(new EventQuery { CustomerId = "nobody" }, _ => false);
        await Check(new EventQuery { EntityId = "e1" }, e => e.EntityId == "e1");
        await Check(new EventQuery { CustomerId = "c1", EntityId = "e2" }, e => e.CustomerId == "c1" && e.EntityId == "e2");
        await Check(new EventQuery { EventNames = ["upload"] }, e => e.EventName == "upload");
        await Check(new EventQuery { EventNames = ["upload", "api_call"] }, _ => true);
        await Check(new EventQuery { EventNames = [] }, _ => true);
        var from = appended[5].Timestamp;
        var to = appended[17].Timestamp;
        await Check(new EventQuery { From = from }, e => e.Timestamp >= from);
        await Check(new EventQuery { To = to }, e => e.Timestamp <= to);
        await Check(new EventQuery { From = from, To = to, CustomerId = "c2", EventNames = ["api_call"] },
            e => e.Timestamp >= from && e.Timestamp <= to && e.CustomerId == "c2" && e.EventName == "api_call");

        // Paging newest first: each page continues below the last seq of the previous one.
        var pages = new List<string>();
        long? before = null;
        while (true)
        {
            var page = await Store.ListEventsAsync(Tenant, new EventQuery { Limit = 5, BeforeSeq = before }, None);
            Assert.True(page.Count <= 5);
            if (page.Count == 0)
            {
                break;
            }
            pages.AddRange(page.Select(e => e.Id));
            before = page[^1].Seq;
        }
        Assert.Equal(all.Select(e => e.Id), pages);
        await Check(new EventQuery { BeforeSeq = all[3].Seq }, e => appended.IndexOf(e) < appended.Count - 4);

        var live = await Store.ListEventsAsync(LiveTenant, new EventQuery(), None);
        Assert.Equal(["evt_live"], live.Select(e => e.Id));
    }

    // ---------------------------------------------------------------- idempotency

    [StoreFact]
    public async Task IdempotencyKey_SameOrDifferentRequest_ReplaysOriginalBytesOrRejects()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        await CreateCustomerAsync(Store, "c1", tenant: LiveTenant, with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        var req = new IdempotencyRequest("track:key-1", "hash-a");

        var first = await MutateAsync(Store, "c1", Spend("c1"), req, Bytes, status: 202);
        Assert.Equal(StoreOutcome.Done, first.Outcome);
        Assert.Equal(9m, first.Result);

        var runs = 0;
        Func<Working, decimal> counted = w =>
        {
            Interlocked.Increment(ref runs);
            return Spend("c1")(w);
        };
        var again = await MutateAsync(Store, "c1", counted, req, Bytes);
        Assert.Equal(StoreOutcome.Replayed, again.Outcome);
        Assert.Equal(Bytes(9m), again.Replay!.Body);
        Assert.Equal(202, again.Replay.Status);
        Assert.Equal("hash-a", again.Replay.RequestHash);
        Assert.Equal("track:key-1", again.Replay.ScopedKey);
        Assert.Equal(T0, again.Replay.CreatedAt);

        var conflict = await MutateAsync(Store, "c1", counted, req with { RequestHash = "hash-b" }, Bytes);
        Assert.Equal(StoreOutcome.KeyConflict, conflict.Outcome);
        Assert.Equal("hash-a", conflict.Replay!.RequestHash);
        Assert.Equal(0, runs);

        await ReopenAsync();
        var durable = await MutateAsync(Store, "c1", counted, req, Bytes);
        Assert.Equal(StoreOutcome.Replayed, durable.Outcome);
        Assert.Equal(Bytes(9m), durable.Replay!.Body);
        Assert.Equal(0, runs);
        Assert.Equal(9m, await BalanceAsync(Store, "c1"));
        Assert.Single(await EventsOfAsync(Store, "c1"));

        // Keys are scoped by tenant.
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", counted, req, Bytes, tenant: LiveTenant)).Outcome);
        Assert.Equal(1, runs);
    }

    [StoreFact]
    public async Task IdempotencyKey_DecisionWithoutResponse_IsNotConsumed()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        var req = new IdempotencyRequest("track:key-2", "hash-a");
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"), req)).Outcome);
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"), req)).Outcome);
        Assert.Equal(8m, await BalanceAsync(Store, "c1"));

        // A read-only decision with no response, then one that answers: only the latter claims the key.
        var readOnly = await Store.MutateCustomerAsync(Tenant, "c1", (s, _) => new Decision<int>(s!.Sources.Count), req, None);
        Assert.Equal(StoreOutcome.Done, readOnly.Outcome);
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"), req, Bytes)).Outcome);
        var replay = await MutateAsync(Store, "c1", Spend("c1"), req, Bytes);
        Assert.Equal(StoreOutcome.Replayed, replay.Outcome);
        Assert.Equal(Bytes(7m), replay.Replay!.Body);
        Assert.Equal(7m, await BalanceAsync(Store, "c1"));
    }

    [StoreFact]
    public async Task IdempotencyKey_ResponseWithoutChanges_IsStillClaimed()
    {
        await CreateCustomerAsync(Store, "c1");
        var req = new IdempotencyRequest("check:key", "hash-a");
        var body = Encoding.UTF8.GetBytes("checked");
        var first = await Store.MutateCustomerAsync(Tenant, "c1", (_, _) => new Decision<int>(1, null, body), req, None);
        Assert.Equal(StoreOutcome.Done, first.Outcome);
        await ReopenAsync();
        var second = await Store.MutateCustomerAsync(Tenant, "c1", (_, _) => new Decision<int>(2, null, body), req, None);
        Assert.Equal(StoreOutcome.Replayed, second.Outcome);
        Assert.Equal(body, second.Replay!.Body);
    }

    [StoreFact]
    public async Task IdempotencyKey_ExpiredRecord_CountsAsAbsentAndIsReplaced()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        var req = new IdempotencyRequest("track:key-3", "hash-a");
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"), req, Bytes)).Outcome);

        Clock.Advance(Retention); // exactly at the retention boundary the record is still honoured
        Assert.Equal(StoreOutcome.Replayed, (await MutateAsync(Store, "c1", Spend("c1"), req, Bytes)).Outcome);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var rerun = await MutateAsync(Store, "c1", Spend("c1"), req with { RequestHash = "hash-b" }, Bytes);
        Assert.Equal(StoreOutcome.Done, rerun.Outcome);
        Assert.Equal(8m, rerun.Result);

        var replay = await MutateAsync(Store, "c1", Spend("c1"), req with { RequestHash = "hash-b" }, Bytes);
        Assert.Equal(StoreOutcome.Replayed, replay.Outcome);
        Assert.Equal(Bytes(8m), replay.Replay!.Body);
        Assert.Equal(Clock.GetUtcNow(), replay.Replay.CreatedAt);
        Assert.Equal(StoreOutcome.KeyConflict, (await MutateAsync(Store, "c1", Spend("c1"), req, Bytes)).Outcome);
        Assert.Equal(8m, await BalanceAsync(Store, "c1"));
    }

    [StoreFact]
    public async Task IdempotencyKey_FiftyParallelRequests_ApplyOnceAndReplayIdenticalBytes()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 100m)));
        var req = new IdempotencyRequest("track:burst", "hash-a");
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => MutateAsync(Store, "c1", Spend("c1"), req, Bytes))));

        var done = Assert.Single(results, r => r.Outcome == StoreOutcome.Done);
        Assert.Equal(99m, done.Result);
        Assert.Equal(49, results.Count(r => r.Outcome == StoreOutcome.Replayed));
        Assert.All(results.Where(r => r.Outcome == StoreOutcome.Replayed), r => Assert.Equal(Bytes(99m), r.Replay!.Body));
        Assert.Equal(99m, await BalanceAsync(Store, "c1"));
        Assert.Single(await EventsOfAsync(Store, "c1"));
    }

    // ---------------------------------------------------------------- serialisation

    [StoreFact]
    public async Task MutateCustomer_TwoHundredParallelMutations_AreSerialised()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 1000m)));
        await CreateCustomerAsync(Store, "c2", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 1000m)));
        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => Task.Run(() => MutateAsync(Store, i % 10 == 0 ? "c2" : "c1", Spend(i % 10 == 0 ? "c2" : "c1")))));

        Assert.All(results, r => Assert.Equal(StoreOutcome.Done, r.Outcome));
        // Every answer saw its predecessors' writes: the balances handed out are all distinct.
        Assert.Equal(180, results.Where((_, i) => i % 10 != 0).Select(r => r.Result).Distinct().Count());
        Assert.Equal(820m, await BalanceAsync(Store, "c1"));
        Assert.Equal(980m, await BalanceAsync(Store, "c2"));
        Assert.Equal(180, (await EventsOfAsync(Store, "c1")).Count);
        Assert.Equal(20, (await EventsOfAsync(Store, "c2")).Count);
        Assert.Equal(200, (await Store.ListEventsAsync(Tenant, new EventQuery { Limit = 1000 }, None)).Count);
    }

    [StoreFact]
    public async Task MutateCustomer_ParallelUnits_EachGetTheirOwnOutcome()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 1000m)));
        // Units that arrive together may share a transaction (the PostgreSQL store batches them): one that throws,
        // one that decides nothing and one that replays must not change what the others commit.
        var tasks = Enumerable.Range(0, 120).Select(i => Task.Run(async () => (i % 6) switch
        {
            0 => await Store.MutateCustomerAsync<decimal>(Tenant, "c1", (_, _) => throw new InvalidTimeZoneException("boom " + i), null, None),
            1 => await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest("track:k" + i, "h"), Bytes),
            2 => await Store.MutateCustomerAsync(Tenant, "c1", (_, _) => new Decision<decimal>(-1m), null, None),
            _ => await MutateAsync(Store, "c1", Spend("c1")),
        })).ToList();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (InvalidTimeZoneException)
        {
            // Inspected per task below.
        }

        for (var i = 0; i < tasks.Count; i++)
        {
            if (i % 6 == 0)
            {
                Assert.Equal("boom " + i, (await Assert.ThrowsAsync<InvalidTimeZoneException>(() => tasks[i])).Message);
                continue;
            }
            var r = await tasks[i];
            Assert.Equal(StoreOutcome.Done, r.Outcome);
            if (i % 6 == 2)
            {
                Assert.Equal(-1m, r.Result);
            }
        }
        var spent = tasks.Where((_, i) => i % 6 is 1 or 3 or 4 or 5).Select(t => t.Result.Result).ToList();
        Assert.Equal(80, spent.Distinct().Count());
        Assert.Equal(920m, await BalanceAsync(Store, "c1"));
        Assert.Equal(80, (await EventsOfAsync(Store, "c1")).Count);

        // Each keyed unit was recorded with its own answer.
        var retries = await Task.WhenAll(Enumerable.Range(0, 120).Where(i => i % 6 == 1).Select(i =>
            MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest("track:k" + i, "h"), Bytes)));
        Assert.All(retries, r => Assert.Equal(StoreOutcome.Replayed, r.Outcome));
        Assert.Equal(
            tasks.Where((_, i) => i % 6 == 1).Select(t => Convert.ToBase64String(Bytes(t.Result.Result))).Order(),
            retries.Select(r => Convert.ToBase64String(r.Replay!.Body)).Order());
        Assert.Equal(920m, await BalanceAsync(Store, "c1"));
    }

    [StoreFact]
    public async Task MutateCustomer_ParallelFirstUnitsOfNewCustomer_CreateItOnceAndTheRestSeeIt()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Task.Run(() => Store.MutateCustomerAsync(Tenant, "fresh", (state, _) =>
        {
            if (state is null)
            {
                var w = new Working(new CustomerState(Customer("fresh", T0)), customerIsNew: true);
                w.Put(Source("src_main", w.TakeSeq(), T0, balance: 100m));
                return new Decision<string>("created", w.ToChanges());
            }
            var spend = new Working(state);
            var s = spend.Source("src_main")!;
            spend.Put(s with { Balance = s.Balance - 1 });
            return new Decision<string>("spent", spend.ToChanges());
        }, null, None))));

        Assert.Single(results, r => r.Result == "created");
        Assert.Equal(29, results.Count(r => r.Result == "spent"));
        Assert.Equal(71m, await BalanceAsync(Store, "fresh"));
    }

    [StoreFact]
    public async Task MutateCustomer_UnwritableChanges_FailAloneAmongQueuedUnits()
    {
        // A slow unit holds the customer while five more queue behind it in a known order, so a store that batches
        // (PostgreSQL) carries them in one transaction whose first unit cannot be written.
        using var started = new ManualResetEventSlim();
        var blocker = Task.Run(() => Store.MutateCustomerAsync(Tenant, "ghost2", (_, _) =>
        {
            started.Set();
            Thread.Sleep(300);
            return new Decision<string>("waited");
        }, null, None));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));

        var invalid = Store.MutateCustomerAsync(Tenant, "ghost2", (_, _) =>
        {
            // Sources for a customer that does not exist, without its row: the store refuses to write them.
            var bad = new CustomerChanges();
            bad.UpsertSources.Add(Source("src_main", 1, T0));
            return new Decision<string>("invalid", bad);
        }, null, None);
        var create = Store.MutateCustomerAsync(Tenant, "ghost2", (state, _) =>
        {
            Assert.Null(state);
            var w = new Working(new CustomerState(Customer("ghost2", T0)), customerIsNew: true);
            w.Put(Source("src_main", w.TakeSeq(), T0, balance: 100m));
            return new Decision<string>("created", w.ToChanges());
        }, null, None);
        var spends = Enumerable.Range(0, 3).Select(_ => MutateAsync(Store, "ghost2", w =>
        {
            var s = w.Source("src_main")!;
            w.Put(s with { Balance = s.Balance - 1 });
            return "spent";
        })).ToList();

        Assert.Equal("waited", (await blocker).Result);
        await Assert.ThrowsAsync<InvalidOperationException>(() => invalid);
        Assert.Equal("created", (await create).Result);
        Assert.All(await Task.WhenAll(spends), r => Assert.Equal("spent", r.Result));
        Assert.Equal(97m, await BalanceAsync(Store, "ghost2"));
    }

    // ---------------------------------------------------------------- delete and rename

    private async Task CreateFullCustomerAsync(string id, DateTimeOffset? dueAt = null)
    {
        await CreateCustomerAsync(Store, id, "Name " + id, id + "@example.com", with: w =>
        {
            w.Put(Entity("e1", w.TakeSeq(), T0));
            w.Put(Source("src_main", w.TakeSeq(), T0, balance: 50m, nextResetAt: dueAt ?? T0.AddHours(-1)));
            w.Put(Rollover("r1", "src_main", T0));
            w.Put(Plan("cp_1", T0));
            w.Put(Lock("l1", "src_main", T0));
        });
        await MutateAsync(Store, id, Spend(id));
        await MutateAsync(Store, id, Spend(id));
    }

    [StoreFact]
    public async Task DeleteCustomer_WithRowsAndEvents_RemovesThemAll()
    {
        await CreateFullCustomerAsync("c1");
        await CreateFullCustomerAsync("c2");
        var deleted = await MutateAsync(Store, "c1", w =>
        {
            w.DeleteCustomer();
            return true;
        });
        Assert.Equal(StoreOutcome.Done, deleted.Outcome);

        Assert.Null(await LoadAsync(Store, "c1"));
        await ReopenAsync();
        Assert.Null(await LoadAsync(Store, "c1"));
        Assert.Empty(await EventsOfAsync(Store, "c1"));
        Assert.Empty(await Store.ListEntitiesAsync(Tenant, "c1", 0, 100, None));
        Assert.Equal(["c2"], await Store.FindEntityOwnersAsync(Tenant, "e1", None));
        Assert.Equal(["c2"], (await Store.ListCustomersAsync(Tenant, 0, 100, null, None)).Select(c => c.CustomerId));
        Assert.Equal([(Tenant, "c2")], await Store.FindDueCustomersAsync(T0, 100, None));
        Assert.Equal(2, (await EventsOfAsync(Store, "c2")).Count);

        // The id can be used again, and nothing of the old customer comes back.
        await CreateCustomerAsync(Store, "c1");
        var fresh = await LoadAsync(Store, "c1");
        Assert.Empty(fresh!.Entities);
        Assert.Empty(fresh.Sources);
        Assert.Empty(fresh.Rollovers);
        Assert.Empty(fresh.Plans);
        Assert.Empty(fresh.Locks);
        Assert.Equal(1, fresh.NextSeq);
        Assert.Empty(await EventsOfAsync(Store, "c1"));
    }

    [StoreFact]
    public async Task RenameCustomer_WithRowsAndEvents_MovesEveryOne()
    {
        await CreateFullCustomerAsync("c1");
        await CreateCustomerAsync(Store, "taken");
        var before = await LoadAsync(Store, "c1");
        var eventsBefore = await EventsOfAsync(Store, "c1");
        var seqBefore = (await Store.ListCustomersAsync(Tenant, 0, 100, null, None)).Single(c => c.CustomerId == "c1").Seq;

        Assert.Equal(RenameOutcome.NotFound, await Store.RenameCustomerAsync(Tenant, "nobody", "c9", None));
        Assert.Equal(RenameOutcome.TargetExists, await Store.RenameCustomerAsync(Tenant, "c1", "taken", None));
        Assert.Equal(RenameOutcome.NotFound, await Store.RenameCustomerAsync(LiveTenant, "c1", "c9", None));
        Assert.Equal(RenameOutcome.Renamed, await Store.RenameCustomerAsync(Tenant, "c1", "c9", None));

        foreach (var pass in new[] { "same instance", "new instance" })
        {
            if (pass == "new instance")
            {
                await ReopenAsync();
            }
            Assert.Null(await LoadAsync(Store, "c1"));
            var after = await LoadAsync(Store, "c9");
            AssertSame(before! with { Customer = before.Customer with { Id = "c9" } }, after);
            Assert.Empty(await EventsOfAsync(Store, "c1"));
            var eventsAfter = await EventsOfAsync(Store, "c9");
            AssertSame(eventsBefore.Select(e => e with { CustomerId = "c9" }).ToList(), eventsAfter.ToList());
            Assert.Equal(["c9"], await Store.FindEntityOwnersAsync(Tenant, "e1", None));
            Assert.Equal([("c9", "e1")], (await Store.ListEntitiesAsync(Tenant, null, 0, 100, None)).Select(e => (e.CustomerId, e.EntityId)));
            Assert.Equal([(Tenant, "c9")], await Store.FindDueCustomersAsync(T0, 100, None));
            var listed = await Store.ListCustomersAsync(Tenant, 0, 100, null, None);
            Assert.Equal(["c9", "taken"], listed.Select(c => c.CustomerId));
            Assert.Equal(seqBefore, listed[0].Seq);
        }

        // Both ids work normally afterwards.
        Assert.Equal(47m, (await MutateAsync(Store, "c9", Spend("c9"))).Result);
        await CreateCustomerAsync(Store, "c1");
        Assert.Empty((await LoadAsync(Store, "c1"))!.Sources);
    }

    [StoreFact]
    public async Task RenameCustomer_ToItsOwnId_ChangesNothing()
    {
        await CreateFullCustomerAsync("c1");
        var before = await LoadAsync(Store, "c1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var outcome = await Store.RenameCustomerAsync(Tenant, "c1", "c1", timeout.Token);
        // The port does not say which answer a no-op rename gets; it must answer, and leave the customer as it was.
        Assert.Contains(outcome, new[] { RenameOutcome.Renamed, RenameOutcome.TargetExists });
        AssertSame(before, await LoadAsync(Store, "c1"));
        Assert.Equal(2, (await EventsOfAsync(Store, "c1")).Count);
    }

    // ---------------------------------------------------------------- queries

    [StoreFact]
    public async Task ListCustomers_CursorAndSearch_InCreationOrder()
    {
        await CreateCustomerAsync(Store, "zed", "Alice Smith", "alice@example.com");
        await CreateCustomerAsync(Store, "bob", "Bob", "bob@other.org");
        await CreateCustomerAsync(Store, "100%_off", null, null);
        await CreateCustomerAsync(Store, "carol", "Carol", null);
        await CreateCustomerAsync(Store, "alice-live", "Alice", "alice@example.com", LiveTenant);

        var all = await Store.ListCustomersAsync(Tenant, 0, 100, null, None);
        Assert.Equal(["zed", "bob", "100%_off", "carol"], all.Select(c => c.CustomerId));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Seq < p.Second.Seq));

        var page1 = await Store.ListCustomersAsync(Tenant, 0, 2, null, None);
        var page2 = await Store.ListCustomersAsync(Tenant, page1[^1].Seq, 2, null, None);
        var page3 = await Store.ListCustomersAsync(Tenant, page2[^1].Seq, 2, null, None);
        Assert.Equal(all, [.. page1, .. page2, .. page3]);

        async Task<IEnumerable<string>> Search(string s) => (await Store.ListCustomersAsync(Tenant, 0, 100, s, None)).Select(c => c.CustomerId);
        Assert.Equal(["zed"], await Search("ALICE"));
        Assert.Equal(["zed"], await Search("example.com"));
        Assert.Equal(["bob"], await Search("bo"));
        Assert.Equal(["100%_off"], await Search("%"));
        Assert.Equal(["100%_off"], await Search("_"));
        Assert.Empty(await Search("\\"));
        Assert.Equal(["carol"], await Search("arol"));
        Assert.Equal(["carol"], (await Store.ListCustomersAsync(Tenant, all[2].Seq, 100, "o", None)).Select(c => c.CustomerId));
        Assert.Equal(["alice-live"], (await Store.ListCustomersAsync(LiveTenant, 0, 100, "alice", None)).Select(c => c.CustomerId));
    }

    [StoreFact]
    public async Task ListCustomers_AfterADelete_CreationOrderNumbersAreNotReused()
    {
        // A client paging with "after seq" must not miss a row created after the newest one was deleted.
        await CreateCustomerAsync(Store, "a", with: w => w.Put(Entity("e1", w.TakeSeq(), T0)));
        await CreateCustomerAsync(Store, "b", with: w => w.Put(Entity("e2", w.TakeSeq(), T0)));
        var customers = await Store.ListCustomersAsync(Tenant, 0, 100, null, None);
        var entities = await Store.ListEntitiesAsync(Tenant, null, 0, 100, None);
        await MutateAsync(Store, "b", w =>
        {
            w.DeleteCustomer();
            return true;
        });
        await MutateAsync(Store, "a", w =>
        {
            w.DeleteEntity("e1");
            return true;
        });
        await CreateCustomerAsync(Store, "c");
        await MutateAsync(Store, "a", w =>
        {
            w.Put(Entity("e3", w.TakeSeq(), T0));
            return true;
        });

        Assert.Equal(["c"], (await Store.ListCustomersAsync(Tenant, customers[^1].Seq, 100, null, None)).Select(c => c.CustomerId));
        Assert.Equal(["e3"], (await Store.ListEntitiesAsync(Tenant, null, entities[^1].Seq, 100, None)).Select(e => e.EntityId));
    }

    [StoreFact]
    public async Task ListEntities_Several_InCreationOrderAndFoundById()
    {
        await CreateCustomerAsync(Store, "a");
        await CreateCustomerAsync(Store, "b");
        await CreateCustomerAsync(Store, "a", tenant: LiveTenant);
        foreach (var (customer, entity) in new[] { ("a", "e1"), ("b", "e2"), ("a", "shared"), ("b", "shared"), ("a", "e0") })
        {
            await MutateAsync(Store, customer, w =>
            {
                w.Put(Entity(entity, w.TakeSeq(), T0));
                return true;
            });
        }
        await MutateAsync(Store, "a", w =>
        {
            w.Put(Entity("e9", w.TakeSeq(), T0));
            return true;
        }, tenant: LiveTenant);
        // Updating an entity keeps its place.
        await MutateAsync(Store, "a", w =>
        {
            w.Put(w.Entity("e1")! with { Name = "updated" });
            return true;
        });

        var all = await Store.ListEntitiesAsync(Tenant, null, 0, 100, None);
        Assert.Equal([("a", "e1"), ("b", "e2"), ("a", "shared"), ("b", "shared"), ("a", "e0")], all.Select(e => (e.CustomerId, e.EntityId)));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Seq < p.Second.Seq));
        Assert.Equal(["e1", "shared", "e0"], (await Store.ListEntitiesAsync(Tenant, "a", 0, 100, None)).Select(e => e.EntityId));
        var page = await Store.ListEntitiesAsync(Tenant, null, all[1].Seq, 2, None);
        Assert.Equal(all.Skip(2).Take(2), page);
        Assert.Equal(["e0"], (await Store.ListEntitiesAsync(Tenant, "a", all[2].Seq, 100, None)).Select(e => e.EntityId));
        Assert.Equal(["a", "b"], await Store.FindEntityOwnersAsync(Tenant, "shared", None));
        Assert.Equal(["b"], await Store.FindEntityOwnersAsync(Tenant, "e2", None));
        Assert.Empty(await Store.FindEntityOwnersAsync(Tenant, "e9", None));
        Assert.Equal(["a"], await Store.FindEntityOwnersAsync(LiveTenant, "e9", None));
    }

    [StoreFact]
    public async Task IsFeatureHeld_AnyCustomerOrEntityHasASourceOfIt_IsTrue()
    {
        await CreateCustomerAsync(Store, "a", with: w => w.Put(Source("s1", w.TakeSeq(), T0, featureId: "messages")));
        await CreateCustomerAsync(Store, "b", with: w => w.Put(Source("s1", w.TakeSeq(), T0, featureId: "seats_used", entityId: "e1")));
        await CreateCustomerAsync(Store, "a", tenant: LiveTenant, with: w => w.Put(Source("s1", w.TakeSeq(), T0, featureId: "live_only")));

        Assert.True(await Store.IsFeatureHeldAsync(Tenant, "messages", None));
        Assert.True(await Store.IsFeatureHeldAsync(Tenant, "seats_used", None));
        Assert.False(await Store.IsFeatureHeldAsync(Tenant, "live_only", None));
        Assert.True(await Store.IsFeatureHeldAsync(LiveTenant, "live_only", None));

        await MutateAsync(Store, "a", w =>
        {
            w.DeleteSource("s1");
            return true;
        });
        Assert.False(await Store.IsFeatureHeldAsync(Tenant, "messages", None));
    }

    [StoreFact]
    public async Task DueCustomers_SourcesDueByTheGivenTime_AreListed()
    {
        await CreateCustomerAsync(Store, "due", with: w => w.Put(Source("s1", w.TakeSeq(), T0, nextResetAt: T0.AddHours(-1))));
        await CreateCustomerAsync(Store, "exactly", with: w => w.Put(Source("s1", w.TakeSeq(), T0, nextResetAt: T0)));
        await CreateCustomerAsync(Store, "later", with: w => w.Put(Source("s1", w.TakeSeq(), T0, nextResetAt: T0.AddHours(1))));
        await CreateCustomerAsync(Store, "never", with: w => w.Put(Source("s1", w.TakeSeq(), T0)));
        await CreateCustomerAsync(Store, "two", with: w =>
        {
            w.Put(Source("s1", w.TakeSeq(), T0, nextResetAt: T0.AddDays(-2)));
            w.Put(Source("s2", w.TakeSeq(), T0, nextResetAt: T0.AddDays(-1), entityId: "e1"));
        });
        await CreateCustomerAsync(Store, "due", tenant: LiveTenant, with: w => w.Put(Source("s1", w.TakeSeq(), T0, nextResetAt: T0.AddMinutes(-1))));

        var due = await Store.FindDueCustomersAsync(T0, 100, None);
        Assert.Equal(
            [(LiveTenant, "due"), (Tenant, "due"), (Tenant, "exactly"), (Tenant, "two")],
            due.OrderBy(d => d.Tenant.Env == Env.Live ? 0 : 1).ThenBy(d => d.CustomerId, StringComparer.Ordinal));
        Assert.Equal(5, (await Store.FindDueCustomersAsync(T0.AddHours(1), 100, None)).Count);
        Assert.Equal(2, (await Store.FindDueCustomersAsync(T0, 2, None)).Count);
        Assert.Empty(await Store.FindDueCustomersAsync(T0.AddDays(-3), 100, None));

        // Once reset (next_reset_at moved on), a customer is no longer due.
        await MutateAsync(Store, "due", w =>
        {
            w.Put(w.Source("s1")! with { NextResetAt = T0.AddMonths(1) });
            return true;
        });
        Assert.DoesNotContain((Tenant, "due"), await Store.FindDueCustomersAsync(T0, 100, None));
    }

    [StoreFact]
    public async Task Prune_IdempotencyRecordsOlderThanCutoff_AreRemoved()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        var k1 = new IdempotencyRequest("k1", "h");
        var k2 = new IdempotencyRequest("k2", "h");
        var k3 = new IdempotencyRequest("k3", "h");
        await MutateAsync(Store, "c1", Spend("c1"), k1, Bytes);
        Clock.Advance(TimeSpan.FromHours(1));
        await MutateAsync(Store, "c1", Spend("c1"), k2, Bytes);
        Clock.Advance(TimeSpan.FromHours(1));
        await MutateAsync(Store, "c1", Spend("c1"), k3, Bytes);

        Assert.Equal(0, await Store.PruneIdempotencyAsync(T0, None));
        Assert.Equal(1, await Store.PruneIdempotencyAsync(T0.AddHours(1), None));
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"), k1 with { RequestHash = "other" }, Bytes)).Outcome);
        Assert.Equal(StoreOutcome.Replayed, (await MutateAsync(Store, "c1", Spend("c1"), k2, Bytes)).Outcome);
        Assert.Equal(3, await Store.PruneIdempotencyAsync(T0.AddDays(1), None));
        Assert.Equal(StoreOutcome.Done, (await MutateAsync(Store, "c1", Spend("c1"), k3, Bytes)).Outcome);
        Assert.Equal(5m, await BalanceAsync(Store, "c1"));
    }
}
