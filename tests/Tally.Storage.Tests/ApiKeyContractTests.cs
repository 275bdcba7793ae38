using Microsoft.Data.Sqlite;
using Npgsql;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Storage.Postgres;
using Tally.Storage.Sqlite;

namespace Tally.Storage.Tests;

/// <summary>
/// The API-key part of the storage contract (key management, issue #11 item 9), written once and run against every
/// store: one sealed subclass each, below. Every test gets an empty database of its own.
/// </summary>
public abstract class ApiKeyContractTests : IAsyncLifetime
{
    protected const string Org = "org_default";
    protected static readonly TenantId Sandbox = new(Org, Env.Sandbox);
    protected static readonly TenantId Live = new(Org, Env.Live);
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly List<ITallyStore> _open = [];

    protected TestClock Clock { get; } = new(T0);

    protected ITallyStore Store { get; private set; } = null!;

    protected abstract Task CreateDatabaseAsync();

    protected abstract Task DropDatabaseAsync();

    protected abstract ITallyStore NewStore(TimeProvider time);

    /// <summary>Lays down the schema of migration 0001 only, with these keys in it (rows from before key management).</summary>
    protected abstract Task SeedVersion1Async(IReadOnlyList<(string Hash, string Org, string Env)> keys);

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
        await DropDatabaseAsync();
    }

    protected async Task<ITallyStore> OpenStoreAsync()
    {
        var store = NewStore(Clock);
        _open.Add(store);
        await store.InitializeAsync(None);
        return store;
    }

    private static NewApiKey Key(string id, Env env = Env.Sandbox, string? prefix = null, string name = "TALLY_SECRET_KEYS") =>
        new(id, "hash_" + id, env, prefix ?? "am_sk_test_" + id[^2..], name);

    private static async Task<ApiKeyInfo> SingleAsync(ITallyStore store, TenantId tenant, string id) =>
        (await store.ListApiKeysAsync(tenant, None)).Single(k => k.KeyId == id);

    [StoreFact]
    public async Task Sync_EnvironmentKeys_AreFindableByHashAndListedPerTenant()
    {
        var sync = await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_s1"), Key("key_l1", Env.Live, "am_sk_live_l1")], true, None);

        Assert.Empty(sync.Revoked);
        Assert.Empty(sync.ListedButRevoked);
        Assert.Equal(new ApiKeyIdentity("key_s1", Sandbox), await Store.FindActiveApiKeyAsync("hash_key_s1", None));
        Assert.Equal(new ApiKeyIdentity("key_l1", Live), await Store.FindActiveApiKeyAsync("hash_key_l1", None));
        Assert.Null(await Store.FindActiveApiKeyAsync("hash_other", None));
        var listed = Assert.Single(await Store.ListApiKeysAsync(Sandbox, None));
        Assert.Equal(new ApiKeyInfo("key_s1", Sandbox, "TALLY_SECRET_KEYS", "am_sk_test_s1", ApiKeySource.Env, T0, null, null), listed);
        Assert.Equal("key_l1", Assert.Single(await Store.ListApiKeysAsync(Live, None)).KeyId);
    }

    [StoreFact]
    public async Task Sync_KeyNoLongerListed_IsRevokedAndCreatedKeysAreLeftAlone()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k1")], true, None);
        await Store.CreateApiKeyAsync(Sandbox, Key("key_a1", name: "ci"), None);
        var before = await Store.GetApiKeysVersionAsync(None);
        Clock.Advance(TimeSpan.FromMinutes(5));

        var sync = await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k2")], true, None);

        Assert.Equal(["key_k1"], sync.Revoked);
        Assert.Null(await Store.FindActiveApiKeyAsync("hash_key_k1", None));
        Assert.NotNull(await Store.FindActiveApiKeyAsync("hash_key_k2", None));
        Assert.NotNull(await Store.FindActiveApiKeyAsync("hash_key_a1", None));
        Assert.Equal(T0.AddMinutes(5), (await SingleAsync(Store, Sandbox, "key_k1")).RevokedAt);
        Assert.True(await Store.GetApiKeysVersionAsync(None) > before);
    }

    [StoreFact]
    public async Task Sync_WithoutRevoking_KeepsKeysTheListDoesNotName()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k1")], false, None);
        var before = await Store.GetApiKeysVersionAsync(None);

        var sync = await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k2")], false, None);

        Assert.Empty(sync.Revoked);
        Assert.NotNull(await Store.FindActiveApiKeyAsync("hash_key_k1", None));
        Assert.Equal(before, await Store.GetApiKeysVersionAsync(None));
    }

    [StoreFact]
    public async Task Sync_RevokedKeyListedAgain_StaysRevoked()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k1")], true, None);
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k2")], true, None);

        var sync = await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k1"), Key("key_k2")], true, None);

        Assert.Empty(sync.Revoked);
        Assert.Equal(["key_k1"], sync.ListedButRevoked);
        Assert.Null(await Store.FindActiveApiKeyAsync("hash_key_k1", None));
    }

    [StoreFact]
    public async Task Sync_KnownHash_KeepsItsIdAndGetsThePrefixItLacked()
    {
        await Store.EnsureOrganizationAsync(Org, "Default", [("hash_key_k1", Env.Sandbox)], None);
        var old = Assert.Single(await Store.ListApiKeysAsync(Sandbox, None));
        Assert.Null(old.Prefix);
        Assert.StartsWith("key_", old.KeyId, StringComparison.Ordinal);

        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k1", prefix: "am_sk_test_k1")], true, None);

        var now = Assert.Single(await Store.ListApiKeysAsync(Sandbox, None));
        Assert.Equal(old with { Prefix = "am_sk_test_k1" }, now);
    }

    [StoreFact]
    public async Task CreateApiKey_NewKey_IsListedWithoutSecretAndSurvivesARestart()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_k1")], true, None);
        var created = await Store.CreateApiKeyAsync(Sandbox, Key("key_a1", prefix: "am_sk_test_ab", name: "deploy bot"), None);

        await using (var reopened = await OpenStoreAsync())
        {
            Assert.Equal(created, await SingleAsync(reopened, Sandbox, "key_a1"));
            Assert.Equal(new ApiKeyIdentity("key_a1", Sandbox), await reopened.FindActiveApiKeyAsync("hash_key_a1", None));
        }
        Assert.Equal(new ApiKeyInfo("key_a1", Sandbox, "deploy bot", "am_sk_test_ab", ApiKeySource.Api, T0, null, null), created);
        Assert.Empty(await Store.ListApiKeysAsync(Live, None));
    }

    [StoreFact]
    public async Task RevokeApiKey_LastActiveKeyOrUnknownId_IsRefused()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_s1"), Key("key_l1", Env.Live)], true, None);
        await Store.CreateApiKeyAsync(Sandbox, Key("key_s2"), None);
        var before = await Store.GetApiKeysVersionAsync(None);

        Assert.Equal(RevokeOutcome.LastKey, (await Store.RevokeApiKeyAsync(Live, "key_l1", None)).Outcome);
        Assert.Equal(RevokeOutcome.NotFound, (await Store.RevokeApiKeyAsync(Sandbox, "key_nope", None)).Outcome);
        Assert.Equal(RevokeOutcome.NotFound, (await Store.RevokeApiKeyAsync(Live, "key_s1", None)).Outcome);
        Assert.Equal(RevokeOutcome.NotFound, (await Store.RevokeApiKeyAsync(new TenantId("org_other", Env.Sandbox), "key_s1", None)).Outcome);
        Assert.Equal(before, await Store.GetApiKeysVersionAsync(None));

        var revoked = await Store.RevokeApiKeyAsync(Sandbox, "key_s1", None);

        Assert.Equal(RevokeOutcome.Revoked, revoked.Outcome);
        Assert.Equal(T0, revoked.Key!.RevokedAt);
        Assert.Null(await Store.FindActiveApiKeyAsync("hash_key_s1", None));
        Assert.Equal(before + 1, await Store.GetApiKeysVersionAsync(None));
        Assert.Equal(RevokeOutcome.LastKey, (await Store.RevokeApiKeyAsync(Sandbox, "key_s2", None)).Outcome);
        Assert.NotNull(await Store.FindActiveApiKeyAsync("hash_key_s2", None));
        // Revoking again answers the revoked key and changes nothing.
        Assert.Equal(revoked, await Store.RevokeApiKeyAsync(Sandbox, "key_s1", None));
        Assert.Equal(before + 1, await Store.GetApiKeysVersionAsync(None));
    }

    [StoreFact]
    public async Task RevokeApiKey_TwoStoresRevokeTheLastTwoAtOnce_LeaveOneActive()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_s1"), Key("key_s2")], true, None);
        var other = await OpenStoreAsync();

        for (var round = 0; round < 5; round++)
        {
            var ids = new[] { $"key_r{round}a", $"key_r{round}b" };
            foreach (var id in ids)
            {
                await Store.CreateApiKeyAsync(Sandbox, Key(id), None);
            }
            foreach (var k in await Store.ListApiKeysAsync(Sandbox, None))
            {
                if (k.RevokedAt is null && !ids.Contains(k.KeyId))
                {
                    Assert.Equal(RevokeOutcome.Revoked, (await Store.RevokeApiKeyAsync(Sandbox, k.KeyId, None)).Outcome);
                }
            }

            var outcomes = await Task.WhenAll(Store.RevokeApiKeyAsync(Sandbox, ids[0], None), other.RevokeApiKeyAsync(Sandbox, ids[1], None));

            Assert.Equal([RevokeOutcome.Revoked, RevokeOutcome.LastKey], outcomes.Select(o => o.Outcome).Order());
            Assert.Single(await Store.ListApiKeysAsync(Sandbox, None), k => k.RevokedAt is null);
        }
    }

    [StoreFact]
    public async Task RecordApiKeyUse_OlderUse_OnlyMovesLastUsedForward()
    {
        await Store.SyncEnvironmentKeysAsync(Org, "Default", [Key("key_s1"), Key("key_s2")], true, None);

        await Store.RecordApiKeyUseAsync([("key_s1", T0.AddMinutes(3)), ("key_s2", T0.AddMinutes(1)), ("key_gone", T0)], None);
        await Store.RecordApiKeyUseAsync([("key_s1", T0.AddMinutes(2))], None);
        await Store.RecordApiKeyUseAsync([], None);

        Assert.Equal(T0.AddMinutes(3), (await SingleAsync(Store, Sandbox, "key_s1")).LastUsedAt);
        Assert.Equal(T0.AddMinutes(1), (await SingleAsync(Store, Sandbox, "key_s2")).LastUsedAt);
    }

    [StoreFact]
    public async Task Migration_KeysFromBeforeKeyManagement_GetIdsAndKeepWorking()
    {
        await Store.DisposeAsync();
        _open.Remove(Store);
        await DropDatabaseAsync();
        await CreateDatabaseAsync();
        await SeedVersion1Async([("hash_a", Org, "sandbox"), ("hash_b", Org, "live"), ("hash_c", "org_b", "sandbox")]);

        Store = await OpenStoreAsync();

        var a = await Store.FindActiveApiKeyAsync("hash_a", None);
        var b = await Store.FindActiveApiKeyAsync("hash_b", None);
        Assert.Equal(Sandbox, a!.Tenant);
        Assert.Equal(Live, b!.Tenant);
        Assert.Equal(new TenantId("org_b", Env.Sandbox), (await Store.FindActiveApiKeyAsync("hash_c", None))!.Tenant);
        Assert.NotEqual(a.KeyId, b.KeyId);
        var listed = Assert.Single(await Store.ListApiKeysAsync(Sandbox, None));
        Assert.Equal(new ApiKeyInfo(a.KeyId, Sandbox, "environment", null, ApiKeySource.Env, T0, null, null), listed);
        Assert.Equal(0, await Store.GetApiKeysVersionAsync(None));
    }
}

/// <summary>The key contract against the embedded store.</summary>
public sealed class SqliteApiKeyTests : ApiKeyContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-key-tests", Guid.NewGuid().ToString("N"));

    private string DbPath => Path.Combine(_dir, "tally.db");

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

    protected override ITallyStore NewStore(TimeProvider time) => new SqliteStore(new SqliteStoreOptions { Path = DbPath }, time);

    protected override async Task SeedVersion1Async(IReadOnlyList<(string Hash, string Org, string Env)> keys)
    {
        await using var c = new SqliteConnection($"Data Source={DbPath}");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = Migration(typeof(SqliteStore), "0001") + "\nCREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
            + string.Concat(keys.Select(k => k.Org).Distinct().Select(o => $"INSERT INTO organizations VALUES ('{o}', 'Org', 0);"))
            + string.Concat(keys.Select(k => $"INSERT INTO api_keys VALUES ('{k.Hash}', '{k.Org}', '{k.Env}', {T0Ms});"));
        await cmd.ExecuteNonQueryAsync();
    }

    internal static long T0Ms => new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    internal static string Migration(Type store, string version)
    {
        var asm = store.Assembly;
        var name = asm.GetManifestResourceNames().Single(n => n.Contains(".Migrations." + version, StringComparison.Ordinal));
        using var reader = new StreamReader(asm.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    }
}

/// <summary>The key contract against the shared store; skipped without <c>TALLY_TEST_POSTGRES</c>.</summary>
[RequiresEnvironment(PostgresServer.Variable, PostgresServer.SkipReason)]
public sealed class PostgresApiKeyTests : ApiKeyContractTests
{
    private readonly PostgresDatabase _database = new("tally_keys_");

    private string ConnectionString => _database.ConnectionString(maxPoolSize: 10);

    protected override Task CreateDatabaseAsync() => _database.CreateAsync();

    protected override Task DropDatabaseAsync() => _database.DropAsync();

    protected override ITallyStore NewStore(TimeProvider time) =>
        new PostgresStore(new PostgresStoreOptions { ConnectionString = ConnectionString }, time);

    protected override async Task SeedVersion1Async(IReadOnlyList<(string Hash, string Org, string Env)> keys)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(SqliteApiKeyTests.Migration(typeof(PostgresStore), "0001")
            + "\nCREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY, applied_at bigint NOT NULL); INSERT INTO schema_version VALUES (1, 0);"
            + string.Concat(keys.Select(k => k.Org).Distinct().Select(o => $"INSERT INTO organizations VALUES ('{o}', 'Org', 0);"))
            + string.Concat(keys.Select(k => $"INSERT INTO api_keys VALUES ('{k.Hash}', '{k.Org}', '{k.Env}', {SqliteApiKeyTests.T0Ms});")), c);
        await cmd.ExecuteNonQueryAsync();
    }
}
