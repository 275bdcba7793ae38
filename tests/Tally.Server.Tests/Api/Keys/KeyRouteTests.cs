using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Hosting;
using Tally.Server.Http;
using Tally.Storage.Postgres;
using Tally.Storage.Sqlite;

namespace Tally.Server.Tests.Api.Keys;

/// <summary>
/// Issue #11 item 9: keys.create / keys.list / keys.revoke, and TALLY_SECRET_KEYS as the list of the environment's
/// keys at every start. Each test runs servers of its own on a temp SQLite file (revocations are tenant-wide).
/// </summary>
public sealed class KeyRouteTests : IDisposable
{
    private const string K1 = "am_sk_test_keyroutes_k1_0123456789";
    private const string K2 = "am_sk_test_keyroutes_k2_0123456789";
    private const string L1 = "am_sk_live_keyroutes_l1_0123456789";

    private readonly string _dir = TempDirs.Create("tally-keytests-");

    private string Database => Path.Combine(_dir, "tally.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task Restart_WithAnotherKey_RevokesTheKeyTheEnvironmentNoLongerLists()
    {
        await using (var first = KeyServer(Database, K1))
        {
            (await first.Api(K1).PostAsync("features.list", "{}")).ShouldBe(200);
        }

        await using var second = KeyServer(Database, K2);

        (await second.Api(K1).PostAsync("features.list", "{}")).ShouldFail(401, "invalid_secret_key", env: null);
        (await second.Api(K2).PostAsync("features.list", "{}")).ShouldBe(200);
        var keys = (await second.Api(K2).OkAsync("keys.list", "{}", TallyJsonContext.Default.ListResponseApiKey)).List;
        Assert.Equal([K1[..15], K2[..15]], keys.Select(k => k.Prefix));
        Assert.NotNull(keys[0].RevokedAt);
        Assert.Null(keys[1].RevokedAt);
        Assert.All(keys, k => Assert.Equal(("env", "TALLY_SECRET_KEYS", "sandbox"), (k.Source, k.Name, k.Env)));
    }

    [Fact]
    public async Task Restart_WithTheOldKeyListedAgain_KeepsItRevoked()
    {
        await using (var first = KeyServer(Database, K1))
        {
            (await first.Api(K1).PostAsync("features.list", "{}")).ShouldBe(200);
        }
        await using (var second = KeyServer(Database, K2))
        {
            (await second.Api(K2).PostAsync("features.list", "{}")).ShouldBe(200);
        }

        await using var third = KeyServer(Database, $"{K1},{K2}");

        (await third.Api(K1).PostAsync("features.list", "{}")).ShouldFail(401, "invalid_secret_key", env: null);
        (await third.Api(K2).PostAsync("features.list", "{}")).ShouldBe(200);
    }

    [Fact]
    public async Task FirstStartKeys_KeepWorking_WhenRestartedWithoutKeys()
    {
        IReadOnlyList<string> printed;
        await using (var store = new SqliteStore(new SqliteStoreOptions { Path = Database }, TimeProvider.System))
        {
            await store.InitializeAsync(CancellationToken.None);
            var ids = new SortableIdGenerator(TimeProvider.System);
            printed = await Bootstrap.PrepareAsync(store, new TallyOptions { Database = Database }, ids, CancellationToken.None);
            await Bootstrap.StoreFirstKeysAsync(store, printed, ids, CancellationToken.None);
        }
        Assert.Equal(["am_sk_test_", "am_sk_live_"], printed.Select(k => k[..11]));
        Assert.All(printed, k => Assert.True(k.Length >= 11 + 32, k.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await using var server = KeyServer(Database, keys: null);

        (await server.Api(printed[0]).PostAsync("features.list", "{}")).ShouldBe(200);
        (await server.Api(printed[1]).PostAsync("features.list", "{}")).ShouldBe(200);
        var listed = Assert.Single((await server.Api(printed[0]).OkAsync("keys.list", "{}", TallyJsonContext.Default.ListResponseApiKey)).List);
        Assert.Equal(("first start", "env", printed[0][..15]), (listed.Name, listed.Source, listed.Prefix));
    }

    [Fact]
    public async Task CreatedKey_Works_IsListedWithoutItsSecret_AndStopsAtOnceWhenRevoked()
    {
        await using var server = KeyServer(Database, K1);
        var api = server.Api(K1);

        var created = await api.OkAsync("keys.create", """{"name":"ci deploy"}""", TallyJsonContext.Default.CreatedApiKey);
        Assert.StartsWith("am_sk_test_", created.Secret, StringComparison.Ordinal);
        Assert.True(created.Secret.Length >= 11 + 32);
        Assert.Equal((created.Secret[..15], "sandbox", "ci deploy"), (created.Prefix, created.Env, created.Name));
        Assert.StartsWith("key_", created.Id, StringComparison.Ordinal);

        (await server.Api(created.Secret).PostAsync("features.list", "{}")).ShouldBe(200);
        var list = await api.PostAsync("keys.list", "{}");
        list.ShouldBe(200);
        var text = System.Text.Encoding.UTF8.GetString(list.Body);
        Assert.DoesNotContain(created.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyResolver.Hash(created.Secret), text, StringComparison.Ordinal);
        Assert.DoesNotContain(K1, text, StringComparison.Ordinal);
        var mine = list.As(TallyJsonContext.Default.ListResponseApiKey).List.Single(k => k.Id == created.Id);
        Assert.Equal(("api", created.CreatedAt), (mine.Source, mine.CreatedAt));
        Assert.NotNull(mine.LastUsedAt);
        Assert.Null(mine.RevokedAt);
        list.Json.GetProperty("list")[1].HasKeys("key", "id", "name", "prefix", "env", "source", "created_at", "last_used_at", "revoked_at");

        var revoked = await api.OkAsync("keys.revoke", new RevokeKeyParams { Id = created.Id }, TallyJsonContext.Default.ApiKey);

        Assert.NotNull(revoked.RevokedAt);
        (await server.Api(created.Secret).PostAsync("features.list", "{}")).ShouldFail(401, "invalid_secret_key", env: null);
        // A retry of the revocation answers the same revoked key.
        Assert.Equal(revoked.RevokedAt, (await api.OkAsync("keys.revoke", new RevokeKeyParams { Id = created.Id }, TallyJsonContext.Default.ApiKey)).RevokedAt);
    }

    [Fact]
    public async Task Revoke_TheLastKey_Is400LastKey_AndAnUnknownId_Is404()
    {
        await using var server = KeyServer(Database, $"{K1},{L1}");
        var api = server.Api(K1);
        var k1 = Assert.Single((await api.OkAsync("keys.list", "{}", TallyJsonContext.Default.ListResponseApiKey)).List);

        (await api.PostAsync("keys.revoke", new RevokeKeyParams { Id = k1.Id })).ShouldFail(400, "last_key", k1.Id);
        (await api.PostAsync("keys.revoke", """{"id":"key_nope"}""")).ShouldFail(404, "key_not_found", "key_nope");
        // The live key cannot reach the sandbox key.
        (await server.Api(L1).PostAsync("keys.revoke", new RevokeKeyParams { Id = k1.Id })).ShouldFail(404, "key_not_found", env: "live");
        (await api.PostAsync("keys.revoke", "{}")).ShouldBeInvalid("id");
        (await api.PostAsync("keys.revoke", """{"id":""}""")).ShouldBeInvalid("id");
        (await api.PostAsync("keys.revoke", """{"id":7}""")).ShouldBeInvalid("id");
        (await api.PostAsync("features.list", "{}")).ShouldBe(200);
    }

    [Fact]
    public async Task Revoke_TheCallingKey_IsAllowed_WhenAnotherRemains()
    {
        await using var server = KeyServer(Database, K1);
        var api = server.Api(K1);
        var other = await api.OkAsync("keys.create", """{"name":"next"}""", TallyJsonContext.Default.CreatedApiKey);
        var k1 = (await api.OkAsync("keys.list", "{}", TallyJsonContext.Default.ListResponseApiKey)).List.Single(k => k.Source == "env");

        (await api.PostAsync("keys.revoke", new RevokeKeyParams { Id = k1.Id })).ShouldBe(200);

        (await api.PostAsync("features.list", "{}")).ShouldFail(401, "invalid_secret_key", env: null);
        (await server.Api(other.Secret).PostAsync("keys.revoke", new RevokeKeyParams { Id = other.Id })).ShouldFail(400, "last_key");
    }

    [Fact]
    public async Task Create_ChecksTheName_AndMakesAKeyOfTheCallersEnvironment()
    {
        await using var server = KeyServer(Database, $"{K1},{L1}");
        var api = server.Api(K1);

        (await api.PostAsync("keys.create", "{}")).ShouldBeInvalid("name");
        (await api.PostAsync("keys.create", """{"name":"  "}""")).ShouldBeInvalid("name");
        (await api.PostAsync("keys.create", """{"name":null}""")).ShouldBeInvalid("name");
        (await api.PostAsync("keys.create", new CreateKeyParams { Name = new string('n', 257) })).ShouldBeInvalid("name");
        Assert.Single((await api.OkAsync("keys.list", "{}", TallyJsonContext.Default.ListResponseApiKey)).List);

        var longest = await api.OkAsync("keys.create", new CreateKeyParams { Name = new string('n', 256) }, TallyJsonContext.Default.CreatedApiKey);
        var live = await server.Api(L1).OkAsync("keys.create", """{"name":"live one"}""", TallyJsonContext.Default.CreatedApiKey);

        Assert.Equal(256, longest.Name.Length);
        Assert.StartsWith("am_sk_live_", live.Secret, StringComparison.Ordinal);
        Assert.Equal("live", live.Env);
        var liveKeys = (await server.Api(live.Secret).OkAsync("keys.list", "{}", TallyJsonContext.Default.ListResponseApiKey)).List;
        Assert.Equal(["TALLY_SECRET_KEYS", "live one"], liveKeys.Select(k => k.Name));
        Assert.NotEqual(longest.Secret[11..], live.Secret[11..]);
    }

    /// <summary>A server of the test's own on its database; <paramref name="keys"/> null leaves TALLY_SECRET_KEYS unset.</summary>
    private static TallyServer KeyServer(string database, string? keys) => TallyServer.OnFile(database, keys, ("TALLY_SWEEP_INTERVAL", "1d"));
}

/// <summary>
/// The key cache of one node: bounded, never holding unknown keys, recording uses at most once a minute, and
/// trusting what it holds for at most 5 s, so a revocation made through another node holds here within that.
/// </summary>
public sealed class KeyResolverTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TenantId Sandbox = new("org_default", Env.Sandbox);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _dir = TempDirs.Create("tally-resolver-");
    private readonly ManualTime _time = new(T0);
    private readonly List<IAsyncDisposable> _owned = [];
    private PostgresDatabase? _pgDatabase;

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
        if (_pgDatabase is not null)
        {
            await _pgDatabase.DisposeAsync();
        }
    }

    [Fact]
    public Task Sqlite_RevocationThroughAnotherResolver_HoldsWithinTheTrustWindow() => RevocationAcrossNodesAsync(SqliteStore());

    [PostgresFact]
    public Task Postgres_RevocationThroughAnotherNode_HoldsWithinTheTrustWindow() => RevocationAcrossNodesAsync(PostgresStoreAsync());

    private async Task RevocationAcrossNodesAsync(Task<ITallyStore> open)
    {
        var store = await open;
        await store.SyncEnvironmentKeysAsync("org_default", "Default", [Key("key_a", "am_sk_test_aaaa"), Key("key_b", "am_sk_test_bbbb")], true, None);
        var nodeA = Resolver(store);
        var nodeB = Resolver(store);
        Assert.Equal("key_a", (await nodeA.ResolveAsync("am_sk_test_aaaa", None))!.KeyId);
        Assert.Equal("key_a", (await nodeB.ResolveAsync("am_sk_test_aaaa", None))!.KeyId);

        // What keys.revoke does on node A.
        Assert.Equal(RevokeOutcome.Revoked, (await store.RevokeApiKeyAsync(Sandbox, "key_a", None)).Outcome);
        nodeA.Invalidate();

        Assert.Null(await nodeA.ResolveAsync("am_sk_test_aaaa", None));
        _time.Now = T0 + KeyResolver.TrustFor;
        Assert.Null(await nodeB.ResolveAsync("am_sk_test_aaaa", None));
        Assert.Equal("key_b", (await nodeB.ResolveAsync("am_sk_test_bbbb", None))!.KeyId);
    }

    [Fact]
    public async Task Cache_StaysBounded_AndUnknownKeysLeaveNothingBehind()
    {
        var store = await SqliteStore();
        var keys = Enumerable.Range(0, 12).Select(i => $"am_sk_test_bound_{i:D2}").ToList();
        await store.SyncEnvironmentKeysAsync("org_default", "Default", keys.Select((k, i) => Key($"key_{i:D2}", k)).ToList(), true, None);
        var resolver = new KeyResolver(store, _time, NullLogger<KeyResolver>.Instance, capacity: 8);
        _owned.Add(resolver);

        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            Assert.Null(await resolver.ResolveAsync("am_sk_test_unknown_" + random.Next(), None));
        }
        Assert.Equal(0, resolver.CachedCount);

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.Equal($"key_{i:D2}", (await resolver.ResolveAsync(keys[i], None))!.KeyId);
                Assert.InRange(resolver.CachedCount, 1, 8);
            }
        }
    }

    [Fact]
    public async Task Uses_AreRecordedAtMostOnceAMinute()
    {
        var store = await SqliteStore();
        await store.SyncEnvironmentKeysAsync("org_default", "Default", [Key("key_a", "am_sk_test_aaaa")], true, None);
        var resolver = Resolver(store);
        async Task<DateTimeOffset?> LastUsed()
        {
            await resolver.FlushUsesAsync(None);
            return (await store.ListApiKeysAsync(Sandbox, None)).Single().LastUsedAt;
        }

        Assert.Null(await LastUsed());
        await resolver.ResolveAsync("am_sk_test_aaaa", None);
        Assert.Equal(T0, await LastUsed());
        _time.Now = T0.AddSeconds(59);
        await resolver.ResolveAsync("am_sk_test_aaaa", None);
        Assert.Equal(T0, await LastUsed());
        _time.Now = T0.AddSeconds(61);
        await resolver.ResolveAsync("am_sk_test_aaaa", None);
        Assert.Equal(T0.AddSeconds(61), await LastUsed());
    }

    private KeyResolver Resolver(ITallyStore store)
    {
        var r = new KeyResolver(store, _time, NullLogger<KeyResolver>.Instance);
        _owned.Add(r);
        return r;
    }

    private static NewApiKey Key(string id, string secret) => new(id, KeyResolver.Hash(secret), Env.Sandbox, secret[..15], "TALLY_SECRET_KEYS");

    private async Task<ITallyStore> SqliteStore()
    {
        var store = new SqliteStore(new SqliteStoreOptions { Path = Path.Combine(_dir, "tally.db") }, _time);
        _owned.Add(store);
        await store.InitializeAsync(None);
        return store;
    }

    private async Task<ITallyStore> PostgresStoreAsync()
    {
        _pgDatabase = await PostgresDatabase.CreateAsync("tally_resolver_");
        var cs = _pgDatabase.ConnectionString(maxPoolSize: 5);
        var store = new PostgresStore(new PostgresStoreOptions { ConnectionString = cs }, _time);
        _owned.Add(store);
        await store.InitializeAsync(None);
        return store;
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public DateTimeOffset Now
        {
            get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
        }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
