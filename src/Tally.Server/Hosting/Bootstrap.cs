using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Api.Keys;

namespace Tally.Server.Hosting;

/// <summary>
/// First start: make sure someone can call the (migrated) store. Keys from TALLY_SECRET_KEYS are registered for the
/// default organization, and the environment-sourced keys it no longer lists are revoked; with none configured and an
/// empty database, one sandbox and one live key are generated, and stored (only their hashes) and printed together
/// once the server listens (<see cref="StoreFirstKeysAsync"/>). Keys made by keys.create are never touched here.
/// </summary>
public static class Bootstrap
{
    public const string DefaultOrg = "org_default";

    /// <summary>Registers configured keys; returns the keys to create once listening (none when keys exist or are configured).</summary>
    public static async Task<IReadOnlyList<string>> PrepareAsync(ITallyStore store, TallyOptions options, IIdGenerator ids, CancellationToken ct)
    {
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
        return [KeySecrets.NewSecret(Env.Sandbox), KeySecrets.NewSecret(Env.Live)];
    }

    /// <summary>Stores first-start keys; called only once the port is bound, so a start that fails loses no key.</summary>
    public static async Task<IReadOnlyList<string>> StoreFirstKeysAsync(ITallyStore store, IReadOnlyList<string> keys, IIdGenerator ids,
        CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            return keys;
        }
        await store.SyncEnvironmentKeysAsync(DefaultOrg, "Default organization",
            [.. keys.Select(k => KeySecrets.Registration(ids.NewId("key_"), k, EnvOf(k), "first start"))], revokeUnlisted: false, ct)
            .ConfigureAwait(false);
        return keys;
    }

    public static Env EnvOf(string key) =>
        key.StartsWith("am_sk_test_", StringComparison.Ordinal) ? Env.Sandbox
        : key.StartsWith("am_sk_live_", StringComparison.Ordinal) ? Env.Live
        : throw new TallyConfigurationException("TALLY_SECRET_KEYS: every key must start with am_sk_test_ (sandbox) or am_sk_live_ (live)");
}
