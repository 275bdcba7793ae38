using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Storage.Postgres;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

/// <summary>
/// The contract against the shared store, plus what only a shared store has to survive: several store instances
/// (server nodes) on one database. Each test gets a database of its own, created from the server named by
/// <c>TALLY_TEST_POSTGRES</c>; without that variable every test here is skipped.
/// </summary>
[RequiresEnvironment(PostgresServer.Variable, PostgresServer.SkipReason)]
public sealed class PostgresStoreTests : StoreContractTests
{
    private readonly PostgresDatabase _database = new("tally_");

    // Several stores per test, tests in parallel: stay well inside the server's default max_connections (100).
    private string ConnectionString => _database.ConnectionString(maxPoolSize: 20);

    protected override Task CreateDatabaseAsync() => _database.CreateAsync();

    protected override Task DropDatabaseAsync() => _database.DropAsync();

    protected override ITallyStore NewStore(TimeProvider time, TimeSpan idempotencyRetention) =>
        new PostgresStore(new PostgresStoreOptions { ConnectionString = ConnectionString, IdempotencyRetention = idempotencyRetention }, time);

    // ---------------------------------------------------------------- several nodes on one database

    [PostgresFact]
    public async Task MutateCustomer_TwoNodesOneCustomer_AreSerialised()
    {
        var nodeB = await OpenStoreAsync();
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 1000m)));
        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => Task.Run(() => MutateAsync(i % 2 == 0 ? Store : nodeB, "c1", Spend("c1")))));

        Assert.All(results, r => Assert.Equal(StoreOutcome.Done, r.Outcome));
        Assert.Equal(200, results.Select(r => r.Result).Distinct().Count());
        Assert.Equal(800m, await BalanceAsync(Store, "c1"));
        Assert.Equal(800m, await BalanceAsync(nodeB, "c1"));
        Assert.Equal(200, (await EventsOfAsync(nodeB, "c1")).Count);
    }

    [PostgresFact]
    public async Task MutateCustomer_TwoNodesOneIdempotencyKey_AppliesOnce()
    {
        var nodeB = await OpenStoreAsync();
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 100m)));
        var req = new IdempotencyRequest("track:two-nodes", "hash-a");
        var results = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(i => Task.Run(() => MutateAsync(i % 2 == 0 ? Store : nodeB, "c1", Spend("c1"), req, Bytes))));

        Assert.Single(results, r => r.Outcome == StoreOutcome.Done);
        Assert.All(results.Where(r => r.Outcome != StoreOutcome.Done), r =>
        {
            Assert.Equal(StoreOutcome.Replayed, r.Outcome);
            Assert.Equal(Bytes(99m), r.Replay!.Body);
        });
        Assert.Equal(99m, await BalanceAsync(nodeB, "c1"));
        Assert.Single(await EventsOfAsync(Store, "c1"));
    }

    [PostgresFact]
    public async Task MutateCustomer_TwoNodesCreateOneCustomer_CreatedOnce()
    {
        var nodeB = await OpenStoreAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            (i % 2 == 0 ? Store : nodeB).MutateCustomerAsync(Tenant, "new", (state, _) =>
            {
                Working w;
                if (state is null)
                {
                    w = new Working(new CustomerState(Customer("new", T0)), customerIsNew: true);
                    w.Put(Source("src_main", w.TakeSeq(), T0, balance: 100m));
                }
                else
                {
                    w = new Working(state);
                }
                var s = w.Source("src_main")!;
                w.Put(s with { Balance = s.Balance - 1 });
                return new Decision<bool>(state is null, w.ToChanges());
            }, null, CancellationToken.None))));

        Assert.Single(results, r => r.Result);
        Assert.Equal(60m, await BalanceAsync(Store, "new"));
        Assert.Single(await Store.ListCustomersAsync(Tenant, 0, 10, null, CancellationToken.None));
    }

    [PostgresFact]
    public async Task GetCatalog_AnotherNodeChangedIt_IsNeverServedStale()
    {
        var nodeB = await OpenStoreAsync();
        Assert.Empty((await Store.GetCatalogAsync(Tenant, CancellationToken.None)).Features);
        await nodeB.MutateCatalogAsync(Tenant, _ =>
        {
            var c = new CatalogChanges();
            c.UpsertFeatures.Add(Feature("messages", T0));
            return new CatalogDecision<bool>(true, c);
        }, null, CancellationToken.None);

        Assert.Equal(["messages"], (await Store.GetCatalogAsync(Tenant, CancellationToken.None)).Features.Select(f => f.Id));
        await CreateCustomerAsync(Store, "c1");
        var seen = await Store.MutateCustomerAsync(Tenant, "c1", (_, catalog) => new Decision<int>(catalog.Features.Count), null,
            CancellationToken.None);
        Assert.Equal(1, seen.Result);

        await nodeB.MutateCatalogAsync(Tenant, _ =>
        {
            var c = new CatalogChanges();
            c.DeleteFeatures.Add("messages");
            return new CatalogDecision<bool>(true, c);
        }, null, CancellationToken.None);
        seen = await Store.MutateCustomerAsync(Tenant, "c1", (_, catalog) => new Decision<int>(catalog.Features.Count), null,
            CancellationToken.None);
        Assert.Equal(0, seen.Result);
        Assert.Empty((await Store.GetCatalogAsync(Tenant, CancellationToken.None)).Features);
    }

    [PostgresFact]
    public async Task Initialize_NodesStartingTogether_MigrateOnce()
    {
        var nodes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(OpenStoreAsync)));
        Assert.All(await Task.WhenAll(nodes.Select(n => n.IsReadyAsync(CancellationToken.None))), Assert.True);
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM schema_version", c);
        // One row per migration script: each applied once, however many nodes raced.
        var scripts = typeof(PostgresStore).Assembly.GetManifestResourceNames().Count(n => n.Contains(".Migrations.", StringComparison.Ordinal));
        Assert.Equal((long)scripts, await cmd.ExecuteScalarAsync());
    }
}
