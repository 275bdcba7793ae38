using System.Security.Cryptography;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Hosting;

/// <summary>
/// First start: migrate the store, then make sure someone can call it. Keys from TALLY_SECRET_KEYS are registered
/// for the default organization; with none configured and an empty database, one sandbox and one live key are
/// generated and printed once (only their hashes are stored).
/// </summary>
public static class Bootstrap
{
    public const string DefaultOrg = "org_default";

    public static async Task<IReadOnlyList<string>> PrepareAsync(ITallyStore store, TallyOptions options, CancellationToken ct)
    {
        await store.InitializeAsync(ct).ConfigureAwait(false);
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
        var sandbox = "am_sk_test_" + Secret();
        var live = "am_sk_live_" + Secret();
        await store.EnsureOrganizationAsync(DefaultOrg, "Default organization",
            [(KeyResolver.Hash(sandbox), Env.Sandbox), (KeyResolver.Hash(live), Env.Live)], ct).ConfigureAwait(false);
        return [sandbox, live];
    }

    public static Env EnvOf(string key) =>
        key.StartsWith("am_sk_test_", StringComparison.Ordinal) ? Env.Sandbox
        : key.StartsWith("am_sk_live_", StringComparison.Ordinal) ? Env.Live
        : throw new InvalidOperationException("TALLY_SECRET_KEYS: every key must start with am_sk_test_ (sandbox) or am_sk_live_ (live)");

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
