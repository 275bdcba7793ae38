using System.Text;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Storage.Postgres;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

/// <summary>
/// The PostgreSQL store puts the queued units of several customers into one transaction. These tests make that
/// happen deterministically: a store with a pool of two has one drain worker, and while a connection of the test
/// holds the row lock of a "gate" customer, that worker's transaction waits, so every unit queued meanwhile is
/// taken into the next few shared transactions together. Which transaction wrote a ledger row is its <c>xmin</c>.
/// </summary>
public sealed class PostgresSharedTransactionTests : IAsyncLifetime
{
    private static readonly TenantId Tenant = new("org_test", Env.Sandbox);
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly PostgresDatabase _database = new("tally_shared_");
    private readonly List<PostgresStore> _stores = [];
    private int _ids;

    public Task InitializeAsync() => PostgresServer.AdminConnectionString is null ? Task.CompletedTask : _database.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (var s in _stores)
        {
            await s.DisposeAsync();
        }
        await _database.DropAsync();
    }

    [PostgresFact]
    public async Task MutateCustomer_UnitsOfManyCustomersInOneTransaction_EachGetsItsOwnAnswer()
    {
        var store = await OpenAsync(maxPoolSize: 2);
        var random = new Random(1701);
        var ids = Enumerable.Range(0, 64).Select(i => $"cus_{i:D2}").ToList();
        await CreateAsync(store, ["gate", .. ids], i => 100m + i);
        var expected = new Dictionary<string, List<decimal>>();
        var calls = new List<(string Id, Task<StoreResult<decimal>> Done)>();
        await using (await HoldRowAsync("gate"))
        {
            calls.Add(("gate", SpendAsync(store, "gate", 1m)));
            foreach (var _ in Enumerable.Range(0, 160))
            {
                var id = ids[random.Next(ids.Count)];
                var amount = random.Next(1, 5);
                var answers = expected.TryGetValue(id, out var list) ? list : expected[id] = [];
                var before = answers.Count == 0 ? 101m + ids.IndexOf(id) : answers[^1];
                answers.Add(before - amount);
                calls.Add((id, SpendAsync(store, id, amount)));
            }
        }
        await Task.WhenAll(calls.Select(c => c.Done));

        // Each customer's units decided in arrival order, each on the state the one before it left.
        foreach (var (id, answers) in expected)
        {
            Assert.Equal(answers, calls.Where(c => c.Id == id).Select(c => c.Done.Result.Result));
        }
        var reopened = await OpenAsync(maxPoolSize: 2);
        foreach (var (id, answers) in expected)
        {
            Assert.Equal(answers[^1], await BalanceAsync(reopened, id));
            Assert.Equal(answers.Count, (await EventsAsync(reopened, id)).Count);
            var before = 101m + ids.IndexOf(id);
            Assert.Equal((answers.Count, before - answers[^1]), await UsageAsync(reopened, id));
        }
        // 160 tracks of up to 64 customers: the gate's transaction, then batches of at most 32 customers.
        Assert.InRange(await TransactionsAsync(expected.Keys), 1, 1 + (expected.Count + 31) / 32);
    }

    [PostgresFact]
    public async Task MutateCustomer_DeletesBetweenRepeatedWritesInOneTransaction_TheLastWriteWins()
    {
        var store = await OpenAsync(maxPoolSize: 2);
        await CreateAsync(store, ["gate", "x", "y", "z"], _ => 100m);
        var calls = new List<Task>();
        await using (await HoldRowAsync("gate"))
        {
            calls.Add(SpendAsync(store, "gate", 1m));
            // x: its source written, deleted, created again and written: the writes coalesced must keep that order.
            calls.Add(SpendAsync(store, "x", 1m));
            calls.Add(MutateAsync(store, "x", w =>
            {
                w.DeleteSource("src_main");
                return true;
            }));
            calls.Add(MutateAsync(store, "x", w =>
            {
                w.Put(Source("src_main", w.TakeSeq(), T0, balance: 7m));
                return true;
            }));
            calls.Add(SpendAsync(store, "x", 2m));
            // y: spent, deleted with its ledger and usage, created again and spent.
            calls.Add(SpendAsync(store, "y", 5m));
            calls.Add(MutateAsync(store, "y", w =>
            {
                w.DeleteCustomer();
                return true;
            }));
            calls.Add(store.MutateCustomerAsync(Tenant, "y", (state, _) =>
            {
                Assert.Null(state);
                var w = new Working(new CustomerState(Customer("y", T0)), customerIsNew: true);
                w.Put(Source("src_main", w.TakeSeq(), T0, balance: 3m));
                return new Decision<bool>(true, w.ToChanges());
            }, null, None));
            calls.Add(SpendAsync(store, "y", 1m));
            // z: written, then deleted for good.
            calls.Add(SpendAsync(store, "z", 1m));
            calls.Add(MutateAsync(store, "z", w =>
            {
                w.DeleteSource("src_main");
                return true;
            }));
        }
        await Task.WhenAll(calls);

        var reopened = await OpenAsync(maxPoolSize: 2);
        Assert.Equal(5m, await BalanceAsync(reopened, "x"));
        Assert.Equal([2m, 1m], (await EventsAsync(reopened, "x")).Select(e => e.Value));
        Assert.Equal((2, 3m), await UsageAsync(reopened, "x"));
        Assert.Equal(2m, await BalanceAsync(reopened, "y"));
        Assert.Equal([1m], (await EventsAsync(reopened, "y")).Select(e => e.Value));
        Assert.Equal((1, 1m), await UsageAsync(reopened, "y"));
        Assert.Empty((await LoadAsync(reopened, "z"))!.Sources);
        Assert.InRange(await TransactionsAsync(["gate", "x", "y"]), 1, 2);
    }

    [PostgresFact]
    public async Task MutateCustomer_UnitRefusedByPostgres_FailsAloneAndTheOthersCommit()
    {
        var store = await OpenAsync(maxPoolSize: 2);
        var ids = Enumerable.Range(0, 20).Select(i => $"cus_{i:D2}").ToList();
        await CreateAsync(store, ["gate", "bad", "throws", .. ids], _ => 50m);
        Task<StoreResult<decimal>> bad, throws;
        var good = new List<Task<StoreResult<decimal>>>();
        await using (await HoldRowAsync("gate"))
        {
            good.Add(SpendAsync(store, "gate", 1m));
            good.AddRange(ids.Take(10).Select(id => SpendAsync(store, id, 1m)));
            // PostgreSQL refuses a NUL character in text: the statement fails inside the shared transaction.
            bad = MutateAsync(store, "bad", w =>
            {
                w.Put(Entity("ent_\0", w.TakeSeq(), T0));
                return 0m;
            });
            throws = MutateAsync<decimal>(store, "throws", _ => throw new InvalidTimeZoneException("boom"));
            good.AddRange(ids.Skip(10).Select(id => SpendAsync(store, id, 2m)));
        }

        var refused = await Assert.ThrowsAsync<PostgresException>(() => bad);
        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refused.SqlState);
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => throws);
        var answers = await Task.WhenAll(good);
        Assert.All(answers, r => Assert.Equal(StoreOutcome.Done, r.Outcome));
        Assert.Equal([49m, .. Enumerable.Repeat(49m, 10), .. Enumerable.Repeat(48m, 10)], answers.Select(r => r.Result));
        var reopened = await OpenAsync(maxPoolSize: 2);
        Assert.Empty((await LoadAsync(reopened, "bad"))!.Entities);
        Assert.Empty(await EventsAsync(reopened, "throws"));
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            Assert.Equal(i < 10 ? 49m : 48m, await BalanceAsync(reopened, id));
            Assert.Single(await EventsAsync(reopened, id));
        }
        // The store still works for the customer whose write was refused.
        Assert.Equal(49m, (await SpendAsync(store, "bad", 1m)).Result);
    }

    [PostgresFact]
    public async Task MutateCustomer_IdempotentRetriesAcrossTheSharedTransaction_ReplayTheFirstAnswer()
    {
        var store = await OpenAsync(maxPoolSize: 2);
        var ids = Enumerable.Range(0, 30).Select(i => $"cus_{i:D2}").ToList();
        await CreateAsync(store, ["gate", .. ids], i => 10m * i); // ids[i] starts at 10 (i + 1)
        // Half the requests carry two keys (a header and a body key), as a track may.
        IdempotencyRequest Request(int i) => i % 2 == 0
            ? new IdempotencyRequest($"track:k{i}", "hash-a")
            : new IdempotencyRequest([$"track:k{i}", $"track:body{i}"], "hash-a");
        var first = new List<Task<StoreResult<decimal>>>();
        var retries = new List<Task<StoreResult<decimal>>>();
        await using (await HoldRowAsync("gate"))
        {
            first.Add(SpendAsync(store, "gate", 1m));
            for (var i = 0; i < ids.Count; i++)
            {
                first.Add(SpendAsync(store, ids[i], 1m, Request(i)));
                // The same request again while the first is queued: it waits for the first's commit and replays it.
                retries.Add(SpendAsync(store, ids[i], 1m, Request(i)));
            }
        }
        var done = await Task.WhenAll(first);
        var replayed = await Task.WhenAll(retries);

        Assert.All(done, r => Assert.Equal(StoreOutcome.Done, r.Outcome));
        for (var i = 0; i < ids.Count; i++)
        {
            Assert.Equal(StoreOutcome.Replayed, replayed[i].Outcome);
            Assert.Equal(Body(10m * (i + 1) - 1), replayed[i].Replay!.Body);
            var later = await SpendAsync(store, ids[i], 1m, new IdempotencyRequest(i % 2 == 0 ? $"track:k{i}" : $"track:body{i}", "hash-a"));
            Assert.Equal(StoreOutcome.Replayed, later.Outcome);
            Assert.Equal(Body(10m * (i + 1) - 1), later.Replay!.Body);
            Assert.Equal(StoreOutcome.KeyConflict, (await SpendAsync(store, ids[i], 1m, Request(i) with { RequestHash = "hash-b" })).Outcome);
            Assert.Equal(10m * (i + 1) - 1, await BalanceAsync(store, ids[i]));
            Assert.Single(await EventsAsync(store, ids[i]));
        }
        Assert.InRange(await TransactionsAsync(ids), 1, 1 + (ids.Count + 31) / 32);
    }

    [PostgresFact]
    public async Task MutateCustomer_TwoNodesHammerOverlappingCustomers_NoDeadlockAndBalancesMatchTheLedger()
    {
        var nodes = new[] { await OpenAsync(maxPoolSize: 20), await OpenAsync(maxPoolSize: 20) };
        var ids = Enumerable.Range(0, 40).Select(i => $"cus_{i:D2}").ToList();
        await CreateAsync(nodes[0], ids, _ => 10_000m);
        var random = new Random(4242);
        // Each node sees most customers, in a different order: its transactions lock overlapping, shuffled sets.
        var plan = Enumerable.Range(0, 2_000).Select(_ => (Node: random.Next(2), Id: ids[random.Next(ids.Count)], Amount: random.Next(1, 4))).ToList();
        var calls = plan.Select(p => Task.Run(() => SpendAsync(nodes[p.Node], p.Id, p.Amount))).ToList();
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Equal(StoreOutcome.Done, r.Outcome));
        foreach (var id in ids)
        {
            var spent = plan.Where(p => p.Id == id).Sum(p => (decimal)p.Amount);
            Assert.Equal(10_000m - spent, await BalanceAsync(nodes[1], id));
            var events = await EventsAsync(nodes[0], id);
            Assert.Equal(plan.Count(p => p.Id == id), events.Count);
            Assert.Equal(spent, events.Sum(e => e.Value));
        }
        Assert.Equal(0, await DeadlocksAsync());
    }

    // ---------------------------------------------------------------- helpers

    private async Task<PostgresStore> OpenAsync(int maxPoolSize)
    {
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = _database.ConnectionString(maxPoolSize) }, TimeProvider.System);
        _stores.Add(store);
        await store.InitializeAsync(None);
        return store;
    }

    private static async Task CreateAsync(ITallyStore store, IEnumerable<string> ids, Func<int, decimal> balance)
    {
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var created = await store.MutateCustomerAsync(Tenant, id, (state, _) =>
            {
                Assert.Null(state);
                var w = new Working(new CustomerState(Customer(id, T0)), customerIsNew: true);
                w.Put(Source("src_main", w.TakeSeq(), T0, balance: balance(i)));
                return new Decision<bool>(true, w.ToChanges());
            }, null, None);
            Assert.Equal(StoreOutcome.Done, created.Outcome);
        }
    }

    private static Task<StoreResult<T>> MutateAsync<T>(ITallyStore store, string id, Func<Working, T> act,
        IdempotencyRequest? idempotency = null, Func<T, byte[]>? respond = null) =>
        store.MutateCustomerAsync(Tenant, id, (state, _) =>
        {
            var w = new Working(state ?? throw new InvalidOperationException($"customer {id} is missing"));
            var result = act(w);
            return new Decision<T>(result, w.ToChanges(), respond?.Invoke(result));
        }, idempotency, None);

    private Task<StoreResult<decimal>> SpendAsync(ITallyStore store, string id, decimal amount, IdempotencyRequest? idempotency = null) =>
        MutateAsync(store, id, w =>
        {
            var s = w.Source("src_main")!;
            var next = s with { Balance = s.Balance - amount };
            w.Put(next);
            w.Append(Event($"evt_{Interlocked.Increment(ref _ids):D5}", id, "messages", amount, T0));
            return next.Balance;
        }, idempotency, Body);

    private static byte[] Body(decimal balance) => Encoding.UTF8.GetBytes($$"""{"balance":"{{balance}}"}""");

    private static async Task<Snapshot?> LoadAsync(ITallyStore store, string id) =>
        (await store.MutateCustomerAsync(Tenant, id, (state, _) => new Decision<Snapshot?>(state is null ? null : Snapshot.Of(state)), null, None)).Result;

    private static async Task<decimal> BalanceAsync(ITallyStore store, string id) =>
        (await LoadAsync(store, id))!.Sources.Single(s => s.Id == "src_main").Balance;

    private static Task<IReadOnlyList<LedgerEvent>> EventsAsync(ITallyStore store, string id) =>
        store.ListEventsAsync(Tenant, new EventQuery { CustomerId = id, Limit = 10_000 }, None);

    private static async Task<(long Count, decimal Sum)> UsageAsync(ITallyStore store, string id)
    {
        var hours = await store.QueryUsageAsync(Tenant, new UsageQuery
        {
            CustomerId = id,
            Names = ["messages"],
            FromHourMs = T0.AddDays(-1).ToUnixTimeMilliseconds(),
            ToHourMs = T0.AddDays(1).ToUnixTimeMilliseconds(),
        }, None);
        return (hours.Sum(h => h.Count), hours.Sum(h => h.Sum));
    }

    /// <summary>
    /// Takes the customer's row lock on a connection of the test's own (the store takes its advisory lock, then
    /// waits here); disposing the connection rolls back and lets the store go on.
    /// </summary>
    private async Task<NpgsqlConnection> HoldRowAsync(string id)
    {
        var c = new NpgsqlConnection(_database.ConnectionString());
        await c.OpenAsync();
        await using (var begin = new NpgsqlCommand("BEGIN", c))
        {
            await begin.ExecuteNonQueryAsync();
        }
        await using var lockRow = new NpgsqlCommand("SELECT 1 FROM customers WHERE customer_id = $1 FOR UPDATE", c);
        lockRow.Parameters.Add(new NpgsqlParameter { Value = id });
        Assert.Equal(1, await lockRow.ExecuteScalarAsync());
        return c;
    }

    /// <summary>How many transactions wrote the ledger rows of these customers.</summary>
    private async Task<long> TransactionsAsync(IEnumerable<string> ids)
    {
        await using var c = new NpgsqlConnection(_database.ConnectionString());
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(DISTINCT xmin::text) FROM events WHERE customer_id = ANY($1)", c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Deadlocks PostgreSQL detected in this database. Backends publish their counters when they exit, so the stores
    /// are closed first and the count read once no backend of the database is left.
    /// </summary>
    private async Task<long> DeadlocksAsync()
    {
        foreach (var s in _stores)
        {
            await s.DisposeAsync();
        }
        _stores.Clear();
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await c.OpenAsync();
        while (true)
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT pg_stat_clear_snapshot(), (SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'), " +
                "(SELECT deadlocks FROM pg_stat_database WHERE datname = $1)", c);
            cmd.Parameters.Add(new NpgsqlParameter { Value = _database.Name });
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            if (r.GetInt64(1) == 0)
            {
                return r.GetInt64(2);
            }
            await Task.Delay(50);
        }
    }
}
