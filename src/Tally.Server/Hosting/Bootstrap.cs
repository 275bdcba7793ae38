using System.Security.Cryptography;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Hosting;

/// <summary>
/// First start: make sure someone can call the (migrated) store. Keys from TALLY_SECRET_KEYS are registered for the
/// default organization; with none configured and an empty database, one sandbox and one live key are generated,
/// and stored (only their hashes) and printed together once the server listens (<see cref="StoreFirstKeysAsync"/>).
/// </summary>
public static class Bootstrap
{
    public const string DefaultOrg = "org_default";

    /// <summary>Registers configured keys; returns the keys to create once listening (none when keys exist or are configured).</summary>
    public static async Task<IReadOnlyList<string>> PrepareAsync(ITallyStore store, TallyOptions options, CancellationToken ct)
    {
        if (options.SecretKeys.Count > 0)
        {
            var keys = options.SecretKeys.Select(k => (KeyResolver.Hash(k), EnvOf(k))).ToList();
            await store.EnsureOrganizationAsync(DefaultOrg, "Default organization", keys, ct).ConfigureAwait(false);
            return [];
        }
        if (await store.AnyOrganizationAsync(ct).ConfigureAwait(false))
        {
            return [];
        }
        return ["am_sk_test_" + Secret(), "am_sk_live_" + Secret()];
    }

    /// <summary>Stores first-start keys; called only once the port is bound, so a start that fails loses no key.</summary>
    public static async Task<IReadOnlyList<string>> StoreFirstKeysAsync(ITallyStore store, IReadOnlyList<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            return keys;
        }
        await store.EnsureOrganizationAsync(DefaultOrg, "Default organization",
            [.. keys.Select(k => (KeyResolver.Hash(k), EnvOf(k)))], ct).ConfigureAwait(false);
        return keys;
    }

    public static Env EnvOf(string key) =>
        key.StartsWith("am_sk_test_", StringComparison.Ordinal) ? Env.Sandbox
        : key.StartsWith("am_sk_live_", StringComparison.Ordinal) ? Env.Live
        : throw new TallyConfigurationException("TALLY_SECRET_KEYS: every key must start with am_sk_test_ (sandbox) or am_sk_live_ (live)");

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
