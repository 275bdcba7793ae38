using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Storage.Postgres;
using Tally.Storage.Sqlite;

namespace Tally.Storage.Tests;

/// <summary>
/// The webhook part of the storage contract, run against every store: notifications a unit raises enter the outbox
/// in its transaction, survive a restart, are fanned out to the endpoints that existed at commit, and each delivery
/// is claimed by one dispatcher at a time.
/// </summary>
public abstract class WebhookContractTests : IAsyncLifetime
{
    protected static readonly TenantId Tenant = new("org_wh", Env.Sandbox);
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly List<ITallyStore> _open = [];

    protected TestClock Clock { get; } = new(T0);

    protected abstract Task CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    protected abstract ITallyStore NewStore(TimeProvider time);

    public async Task InitializeAsync() => await CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var s in _open)
        {
            await s.DisposeAsync();
        }
        await DropDatabaseAsync();
    }

    protected async Task<ITallyStore> OpenStoreAsync()
    {
        var store = NewStore(Clock);
        _open.Add(store);
        await store.InitializeAsync(None);
        return store;
    }

    [StoreFact]
    public async Task RaisedNotification_CommitsWithTheChange_AndIsClaimedOnce()
    {
        var store = await OpenStoreAsync();
        var endpoint = await EndpointAsync(store, "whe_1");
        await CreateCustomerAsync(store, "c1");
        await RaiseAsync(store, "c1", new LimitReached { CustomerId = "c1", FeatureId = "messages", LimitType = "included", EntityId = "e1" });

        var claims = await ClaimAsync(store);

        var claim = Assert.Single(claims);
        Assert.Equal(endpoint.Id, claim.Endpoint.Id);
        Assert.Equal("balances.limit_reached", claim.EventType);
        Assert.StartsWith("msg_", claim.EventId, StringComparison.Ordinal);
        using var payload = JsonDocument.Parse(claim.Payload);
        Assert.Equal("balances.limit_reached", payload.RootElement.GetProperty("type").GetString());
        var data = payload.RootElement.GetProperty("data");
        Assert.Equal("c1", data.GetProperty("customer_id").GetString());
        Assert.Equal("e1", data.GetProperty("entity_id").GetString());
        Assert.Equal("messages", data.GetProperty("feature_id").GetString());
        Assert.Equal("included", data.GetProperty("limit_type").GetString());
        Assert.Empty(await ClaimAsync(store)); // leased to the first claimer
    }

    [StoreFact]
    public async Task EndpointCreatedAfterTheEvent_DoesNotReceiveIt()
    {
        var store = await OpenStoreAsync();
        await CreateCustomerAsync(store, "c1");
        await RaiseAsync(store, "c1", new LimitReached { CustomerId = "c1", FeatureId = "messages", LimitType = "included" });
        Clock.Advance(TimeSpan.FromSeconds(1));
        await EndpointAsync(store, "whe_late");

        Assert.Empty(await ClaimAsync(store));
    }

    [StoreFact]
    public async Task CommittedEvent_IsDeliveredByTheNextProcess()
    {
        var first = await OpenStoreAsync();
        await EndpointAsync(first, "whe_1");
        await CreateCustomerAsync(first, "c1");
        await RaiseAsync(first, "c1", new UsageAlertTriggered
        {
            CustomerId = "c1",
            FeatureId = "api",
            Threshold = 80,
            ThresholdType = "usage_percentage",
            AlertName = "80%",
        });
        await first.DisposeAsync();
        _open.Remove(first);

        var second = await OpenStoreAsync();
        var claim = Assert.Single(await ClaimAsync(second));
        using var payload = JsonDocument.Parse(claim.Payload);
        var alert = payload.RootElement.GetProperty("data").GetProperty("usage_alert");
        Assert.Equal(80, alert.GetProperty("threshold").GetDecimal());
        Assert.Equal("usage_percentage", alert.GetProperty("threshold_type").GetString());
        Assert.Equal("80%", alert.GetProperty("name").GetString());
    }

    [StoreFact]
    public async Task FailedAttempt_IsRetriedWhenDue_AndTheLogKeepsEveryAttempt()
    {
        var store = await OpenStoreAsync();
        var endpoint = await EndpointAsync(store, "whe_1");
        await CreateCustomerAsync(store, "c1");
        await RaiseAsync(store, "c1", new LimitReached { CustomerId = "c1", FeatureId = "messages", LimitType = "included" });
        var claim = Assert.Single(await ClaimAsync(store));

        await ((IWebhookStore)store).RecordWebhookAttemptAsync(new WebhookAttemptResult(claim.DeliveryId, endpoint.Id,
            new WebhookAttempt(Clock.GetUtcNow(), 500, 12, "HTTP 500", "boom"), false, Clock.GetUtcNow() + TimeSpan.FromSeconds(30), 1), None);
        Assert.Empty(await ClaimAsync(store));
        Assert.True((await ((IWebhookStore)store).GetWebhookAsync(Tenant, endpoint.Id, None))!.Failing);

        Clock.Advance(TimeSpan.FromSeconds(30));
        var retry = Assert.Single(await ClaimAsync(store));
        Assert.Equal(claim.EventId, retry.EventId);
        Assert.Equal(1, retry.Attempts);
        await ((IWebhookStore)store).RecordWebhookAttemptAsync(new WebhookAttemptResult(retry.DeliveryId, endpoint.Id,
            new WebhookAttempt(Clock.GetUtcNow(), 204, 3, null, ""), true, null, 1), None);

        var delivery = Assert.Single(await ((IWebhookStore)store).ListWebhookDeliveriesAsync(Tenant, new WebhookDeliveryQuery(null, null, null, 10), None));
        Assert.Equal(WebhookDeliveryStatus.Delivered, delivery.Status);
        Assert.Equal([500, 204], delivery.AttemptLog.Select(a => a.HttpStatus ?? 0));
        Assert.False((await ((IWebhookStore)store).GetWebhookAsync(Tenant, endpoint.Id, None))!.Failing);
        Assert.Empty(await ((IWebhookStore)store).ListWebhookDeliveriesAsync(Tenant,
            new WebhookDeliveryQuery(null, WebhookDeliveryStatus.Pending, null, 10), None));

        Assert.True(await ((IWebhookStore)store).RedeliverWebhookAsync(Tenant, delivery.Id, Clock.GetUtcNow(), None));
        Assert.Equal(claim.EventId, Assert.Single(await ClaimAsync(store)).EventId);
        Assert.False(await ((IWebhookStore)store).RedeliverWebhookAsync(new TenantId("org_other", Env.Sandbox), delivery.Id, Clock.GetUtcNow(), None));
    }

    [StoreFact]
    public async Task Endpoints_AreScopedToTheirTenant_AndDeleteDropsTheirDeliveries()
    {
        var store = await OpenStoreAsync();
        var endpoint = await EndpointAsync(store, "whe_1", events: ["billing.updated"]);
        var other = new TenantId("org_wh", Env.Live);
        Assert.Empty(await ((IWebhookStore)store).ListWebhooksAsync(other, None));
        Assert.Null(await ((IWebhookStore)store).GetWebhookAsync(other, endpoint.Id, None));
        await CreateCustomerAsync(store, "c1");
        await RaiseAsync(store, "c1", new LimitReached { CustomerId = "c1", FeatureId = "messages", LimitType = "included" });
        await RaiseAsync(store, "c1", new PlansChanged { CustomerId = "c1", Changes = [new PlanChange("pro", "activated", 1)] });

        var claim = Assert.Single(await ClaimAsync(store)); // the filter skips limit_reached
        Assert.Equal("billing.updated", claim.EventType);
        Assert.False(await ((IWebhookStore)store).DeleteWebhookAsync(other, endpoint.Id, None));
        Assert.True(await ((IWebhookStore)store).DeleteWebhookAsync(Tenant, endpoint.Id, None));
        Assert.Empty(await ((IWebhookStore)store).ListWebhookDeliveriesAsync(Tenant, new WebhookDeliveryQuery(null, null, null, 10), None));
    }

    [StoreFact]
    public async Task Prune_DeletesOnlyFinishedRowsPastTheCutoff_InBatches()
    {
        var store = await OpenStoreAsync();
        var hooks = (IWebhookStore)store;
        var endpoint = await EndpointAsync(store, "whe_1");
        await CreateCustomerAsync(store, "c1");
        foreach (var f in new[] { "delivered", "failed", "retrying" })
        {
            await RaiseAsync(store, "c1", new LimitReached { CustomerId = "c1", FeatureId = f, LimitType = "included" });
        }
        var claims = (await ClaimAsync(store)).ToDictionary(FeatureOf);
        Assert.Equal(3, claims.Count);
        await RecordAsync(hooks, claims["delivered"], endpoint, 204, delivered: true, retryAt: null);
        await RecordAsync(hooks, claims["failed"], endpoint, 500, delivered: false, retryAt: null);
        await RecordAsync(hooks, claims["retrying"], endpoint, 500, delivered: false, retryAt: Clock.GetUtcNow() + TimeSpan.FromSeconds(5));
        await RaiseAsync(store, "c1", new LimitReached { CustomerId = "c1", FeatureId = "not_fanned_out", LimitType = "included" });

        Clock.Advance(TimeSpan.FromDays(31));
        var cutoff = Clock.GetUtcNow() - TimeSpan.FromDays(30);
        var passes = new List<int>();
        for (var n = await hooks.PruneWebhooksAsync(cutoff, 1, None); n > 0; n = await hooks.PruneWebhooksAsync(cutoff, 1, None))
        {
            passes.Add(n);
        }

        // Two deliveries and their two events, at most one delivery and one event per batch of 1.
        Assert.Equal(4, passes.Sum());
        Assert.All(passes, n => Assert.InRange(n, 1, 2));
        var left = Assert.Single(await hooks.ListWebhookDeliveriesAsync(Tenant, new WebhookDeliveryQuery(null, null, null, 10), None));
        Assert.Equal(claims["retrying"].DeliveryId, left.Id);
        Assert.Equal(WebhookDeliveryStatus.Pending, left.Status);
        Assert.Single(left.AttemptLog);
        var due = (await ClaimAsync(store)).ToDictionary(FeatureOf);
        Assert.Equal(["not_fanned_out", "retrying"], due.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(claims["retrying"].EventId, due["retrying"].EventId);

        // Finished now, so inside the retention: kept.
        await RecordAsync(hooks, due["retrying"], endpoint, 204, delivered: true, retryAt: null);
        await RecordAsync(hooks, due["not_fanned_out"], endpoint, 204, delivered: true, retryAt: null);
        Assert.Equal(0, await hooks.PruneWebhooksAsync(cutoff, 10, None));
        Assert.Equal(2, (await hooks.ListWebhookDeliveriesAsync(Tenant, new WebhookDeliveryQuery(null, null, null, 10), None)).Count);

        // An old delivery sent again is judged by its last attempt, not by when it was created.
        Clock.Advance(TimeSpan.FromDays(29));
        var old = due["retrying"].DeliveryId;
        Assert.True(await hooks.RedeliverWebhookAsync(Tenant, old, Clock.GetUtcNow(), None));
        Assert.Equal(0, await hooks.PruneWebhooksAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30), 10, None)); // pending again
        await RecordAsync(hooks, Assert.Single(await ClaimAsync(store)), endpoint, 204, delivered: true, retryAt: null);
        Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(2, await hooks.PruneWebhooksAsync(Clock.GetUtcNow() - TimeSpan.FromDays(30), 10, None));
        var kept = Assert.Single(await hooks.ListWebhookDeliveriesAsync(Tenant, new WebhookDeliveryQuery(null, null, null, 10), None));
        Assert.Equal(old, kept.Id);
        Assert.Equal(3, kept.AttemptLog.Count);
    }

    private static string FeatureOf(WebhookClaim claim)
    {
        using var payload = JsonDocument.Parse(claim.Payload);
        return payload.RootElement.GetProperty("data").GetProperty("feature_id").GetString()!;
    }

    private Task RecordAsync(IWebhookStore hooks, WebhookClaim claim, WebhookEndpoint endpoint, int status, bool delivered, DateTimeOffset? retryAt) =>
        hooks.RecordWebhookAttemptAsync(new WebhookAttemptResult(claim.DeliveryId, endpoint.Id,
            new WebhookAttempt(Clock.GetUtcNow(), status, 1, delivered ? null : $"HTTP {status}", ""), delivered, retryAt, 5), None);

    protected async Task<WebhookEndpoint> EndpointAsync(ITallyStore store, string id, IReadOnlyList<string>? events = null)
    {
        var endpoint = new WebhookEndpoint
        {
            Id = id,
            Tenant = Tenant,
            Url = "http://127.0.0.1:9/hook",
            Events = events,
            Secret = "whsec_" + Convert.ToBase64String(new byte[32]),
            CreatedAt = Clock.GetUtcNow(),
        };
        await ((IWebhookStore)store).CreateWebhookAsync(endpoint, None);
        return endpoint;
    }

    protected Task<IReadOnlyList<WebhookClaim>> ClaimAsync(ITallyStore store, int limit = 10) =>
        ((IWebhookStore)store).ClaimWebhookDeliveriesAsync(Clock.GetUtcNow(), Clock.GetUtcNow() + TimeSpan.FromMinutes(1), limit, None);

    protected static async Task CreateCustomerAsync(ITallyStore store, string id)
    {
        var result = await store.MutateCustomerAsync(Tenant, id, (state, _) =>
        {
            var w = new Working(new CustomerState(Rows.Customer(id, T0)), customerIsNew: true);
            return new Decision<bool>(true, w.ToChanges());
        }, null, None);
        Assert.Equal(StoreOutcome.Done, result.Outcome);
    }

    protected static async Task RaiseAsync(ITallyStore store, string id, Notification n)
    {
        var result = await store.MutateCustomerAsync(Tenant, id, (state, _) =>
        {
            var w = new Working(state!);
            w.Raise(n);
            return new Decision<bool>(true, w.ToChanges());
        }, null, None);
        Assert.Equal(StoreOutcome.Done, result.Outcome);
    }
}

public sealed class SqliteWebhookTests : WebhookContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-webhook-tests", Guid.NewGuid().ToString("N"));

    protected override Task CreateDatabaseAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temp directory is cleaned up by the OS.
        }
        return Task.CompletedTask;
    }

    protected override ITallyStore NewStore(TimeProvider time) =>
        new SqliteStore(new SqliteStoreOptions { Path = Path.Combine(_dir, "tally.db") }, time);
}

/// <summary>The webhook contract on PostgreSQL, plus two nodes claiming from one database.</summary>
[RequiresEnvironment(PostgresServer.Variable, PostgresServer.SkipReason)]
public sealed class PostgresWebhookTests : WebhookContractTests
{
    private readonly string _database = "tally_wh_" + Guid.NewGuid().ToString("N")[..16];

    private string ConnectionString => new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Database = _database, MaxPoolSize = 20 }
        .ToString();

    protected override async Task CreateDatabaseAsync()
    {
        if (PostgresServer.AdminConnectionString is not null)
        {
            await AdminAsync($"CREATE DATABASE \"{_database}\"");
        }
    }

    protected override async Task DropDatabaseAsync()
    {
        if (PostgresServer.AdminConnectionString is not null)
        {
            await AdminAsync($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)");
        }
    }

    protected override ITallyStore NewStore(TimeProvider time) =>
        new PostgresStore(new PostgresStoreOptions { ConnectionString = ConnectionString }, time);

    [PostgresFact]
    public async Task TwoNodes_ClaimingAtOnce_EachDeliveryIsClaimedOnce()
    {
        var a = await OpenStoreAsync();
        var b = await OpenStoreAsync();
        await EndpointAsync(a, "whe_1");
        await EndpointAsync(a, "whe_2");
        await CreateCustomerAsync(a, "c1");
        for (var i = 0; i < 40; i++)
        {
            await RaiseAsync(i % 2 == 0 ? a : b, "c1", new LimitReached { CustomerId = "c1", FeatureId = "f" + i, LimitType = "included" });
        }

        async Task<List<string>> DrainAsync(ITallyStore node)
        {
            var got = new List<string>();
            while (true)
            {
                var claims = await ClaimAsync(node, limit: 7);
                if (claims.Count == 0)
                {
                    return got;
                }
                got.AddRange(claims.Select(c => c.DeliveryId));
            }
        }

        var results = await Task.WhenAll(Task.Run(() => DrainAsync(a)), Task.Run(() => DrainAsync(b)));
        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(80, all.Count);
        Assert.Equal(80, all.Distinct(StringComparer.Ordinal).Count());
    }

    private static async Task AdminAsync(string sql)
    {
        await using var c = new NpgsqlConnection(PostgresServer.AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}
