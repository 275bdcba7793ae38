using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Api.Keys;

namespace Tally.Server.Hosting;

/// <summary>
/// First start: migrate the store, then make sure someone can call it. Keys from TALLY_SECRET_KEYS are registered
/// for the default organization, and the environment-sourced keys it no longer lists are revoked; with none configured
/// and an empty database, one sandbox and one live key are generated and printed once (only their hashes are stored).
/// Keys made by keys.create are never touched here.
/// </summary>
public static class Bootstrap
{
    public const string DefaultOrg = "org_default";

    public static async Task<IReadOnlyList<string>> PrepareAsync(ITallyStore store, TallyOptions options, CancellationToken ct,
        IIdGenerator? ids = null)
    {
        await store.InitializeAsync(ct).ConfigureAwait(false);
        ids ??= new SortableIdGenerator(TimeProvider.System);
        if (options.SecretKeys.Count > 0)
        {
            // The environment is the list of its keys: those it no longer names stop working now (keys.create's stay).
            var keys = options.SecretKeys.Select(k => KeySecrets.Registration(ids.NewId("key_"), k, EnvOf(k), "TALLY_SECRET_KEYS")).ToList();
            var sync = await store.SyncEnvironmentKeysAsync(DefaultOrg, "Default organization", keys, revokeUnlisted: true, ct).ConfigureAwait(false);
            if (sync.Revoked.Count > 0)
            {
                Console.WriteLine($"Revoked {sync.Revoked.Count} key(s) TALLY_SECRET_KEYS no longer lists: {string.Join(", ", sync.Revoked)}");
            }
            if (sync.ListedButRevoked.Count > 0)
            {
                Console.Error.WriteLine($"TALLY_SECRET_KEYS lists {sync.ListedButRevoked.Count} revoked key(s), which stay revoked: "
                    + string.Join(", ", sync.ListedButRevoked));
            }
            return [];
        }
        if (await store.AnyOrganizationAsync(ct).ConfigureAwait(false))
        {
            return [];
        }
        var sandbox = KeySecrets.NewSecret(Env.Sandbox);
        var live = KeySecrets.NewSecret(Env.Live);
        await store.SyncEnvironmentKeysAsync(DefaultOrg, "Default organization",
            [KeySecrets.Registration(ids.NewId("key_"), sandbox, Env.Sandbox, "first start"),
                KeySecrets.Registration(ids.NewId("key_"), live, Env.Live, "first start")], revokeUnlisted: false, ct).ConfigureAwait(false);
        return [sandbox, live];
    }

    public static Env EnvOf(string key) =>
        key.StartsWith("am_sk_test_", StringComparison.Ordinal) ? Env.Sandbox
        : key.StartsWith("am_sk_live_", StringComparison.Ordinal) ? Env.Live
        : throw new InvalidOperationException("TALLY_SECRET_KEYS: every key must start with am_sk_test_ (sandbox) or am_sk_live_ (live)");
}
