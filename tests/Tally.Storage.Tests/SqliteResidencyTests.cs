using System.Collections.Concurrent;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Storage.Sqlite;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

/// <summary>
/// What the embedded store keeps in memory: nothing for customers that do not exist, no more idle customers than its
/// budget, and never a lost or doubled write when a customer leaves memory while requests race to it.
/// </summary>
public sealed class SqliteResidencyTests : IAsyncLifetime
{
    private static readonly TenantId Tenant = new("org_test", Env.Sandbox);
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-residency-tests", Guid.NewGuid().ToString("N"));
    private readonly List<SqliteStore> _open = [];
    private int _ids;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _open)
        {
            await s.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temp directory is cleaned up by the OS.
        }
    }

    private async Task<SqliteStore> OpenAsync(int budget)
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = Path.Combine(_dir, "tally.db"), MaxResidentCustomers = budget },
            new TestClock(T0));
        _open.Add(store);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task Lookup_MissingCustomers_LeaveNothingBehind()
    {
        var store = await OpenAsync(budget: 1000);
        var random = new Random(1201);
        for (var i = 0; i < 500; i++)
        {
            var id = i % 50 == 0 ? new string((char)('a' + (i % 26)), 200_000 + i) : "ghost_" + random.Next();
            var key = i % 2 == 0 ? new IdempotencyRequest(["header:" + id, "track:" + i], "h") : null;
            var found = await store.MutateCustomerAsync(Tenant, id, (state, _) => new Decision<bool>(state is not null), key, CancellationToken.None);
            Assert.False(found.Result);
        }
        Assert.Equal(0, store.ResidentCount);
        Assert.Equal(0, store.ClaimedKeyCount);

        // A customer deleted, or renamed away, leaves nothing either; one that exists stays.
        await CreateAsync(store, "gone");
        await CreateAsync(store, "moved");
        await store.MutateCustomerAsync(Tenant, "gone", (_, _) => new Decision<bool>(true, new CustomerChanges { DeleteCustomer = true }), null,
            CancellationToken.None);
        Assert.Equal(RenameOutcome.Renamed, await store.RenameCustomerAsync(Tenant, "moved", "there", CancellationToken.None));
        Assert.Equal(0, store.ResidentCount);
        Assert.Equal(10m, await BalanceAsync(store, "there"));
        Assert.Null(await BalanceAsync(store, "moved"));
        Assert.Equal(1, store.ResidentCount);
    }

    [Fact]
    public async Task Residency_TenTimesTheBudgetOfCustomers_StaysWithinBudgetAndReloadsIntact()
    {
        const int budget = 40;
        var store = await OpenAsync(budget);
        var ids = Enumerable.Range(0, budget * 10).Select(i => "cus_" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var id in ids)
        {
            await CreateAsync(store, id);
            Assert.True(store.ResidentCount <= budget, $"{store.ResidentCount} resident with a budget of {budget}");
        }
        foreach (var id in ids)
        {
            await SpendAsync(store, id);
            Assert.True(store.ResidentCount <= budget, $"{store.ResidentCount} resident with a budget of {budget}");
        }
        foreach (var id in ids.AsEnumerable().Reverse())
        {
            await SpendAsync(store, id);
        }
        foreach (var id in ids)
        {
            Assert.Equal(8m, await BalanceAsync(store, id));
        }
        Assert.True(store.ResidentCount <= budget);

        var reopened = await OpenAsync(budget);
        foreach (var id in ids)
        {
            Assert.Equal(8m, await BalanceAsync(reopened, id));
        }
    }

    [Fact]
    public async Task Eviction_RacingRequests_LoseAndDoubleNothing()
    {
        const int customers = 24;
        var store = await OpenAsync(budget: 3);
        var ids = Enumerable.Range(0, customers).Select(i => "race_" + i).ToList();
        foreach (var id in ids)
        {
            await CreateAsync(store, id, balance: 10_000m);
        }
        var spent = new ConcurrentDictionary<string, int>();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(4100 + w);
            for (var i = 0; i < 300; i++)
            {
                var id = ids[random.Next(customers)];
                if (random.Next(10) == 0)
                {
                    // A lookup of a missing customer drops its entry on the way out, racing the others.
                    await BalanceAsync(store, "missing_" + random.Next(customers));
                    continue;
                }
                var left = await SpendAsync(store, id);
                Assert.True(left < 10_000m);
                spent.AddOrUpdate(id, 1, (_, n) => n + 1);
            }
        })).ToList();
        await Task.WhenAll(workers);

        var reopened = await OpenAsync(budget: 3);
        foreach (var id in ids)
        {
            var n = spent.GetValueOrDefault(id);
            Assert.Equal(10_000m - n, await BalanceAsync(store, id));
            Assert.Equal(10_000m - n, await BalanceAsync(reopened, id));
            var events = await reopened.ListEventsAsync(Tenant, new EventQuery { CustomerId = id, Limit = 10_000 }, CancellationToken.None);
            Assert.Equal(n, events.Count);
        }
        Assert.True(spent.Values.Sum() > 1500);
    }

    private static async Task CreateAsync(SqliteStore store, string id, decimal balance = 10m)
    {
        var created = await store.MutateCustomerAsync(Tenant, id, (state, _) =>
        {
            Assert.Null(state);
            var w = new Working(new CustomerState(Customer(id, T0)), customerIsNew: true);
            w.Put(Source("src_main", w.TakeSeq(), T0, balance: balance));
            return new Decision<bool>(true, w.ToChanges());
        }, null, CancellationToken.None);
        Assert.Equal(StoreOutcome.Done, created.Outcome);
    }

    private async Task<decimal> SpendAsync(SqliteStore store, string id)
    {
        var eventId = "evt_" + Interlocked.Increment(ref _ids);
        var result = await store.MutateCustomerAsync(Tenant, id, (state, _) =>
        {
            var w = new Working(state ?? throw new InvalidOperationException($"customer {id} is missing"));
            var s = w.Source("src_main")!;
            var next = s with { Balance = s.Balance - 1m };
            w.Put(next);
            w.Append(Event(eventId, id, "messages", 1m, T0));
            return new Decision<decimal>(next.Balance, w.ToChanges());
        }, null, CancellationToken.None);
        return result.Result;
    }

    private static async Task<decimal?> BalanceAsync(SqliteStore store, string id) =>
        (await store.MutateCustomerAsync(Tenant, id, (state, _) =>
            new Decision<decimal?>(state?.Sources.Single(s => s.Id == "src_main").Balance), null, CancellationToken.None)).Result;
}
