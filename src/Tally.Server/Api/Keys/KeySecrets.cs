using System.Security.Cryptography;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Server.Api.Keys;

/// <summary>How secret keys are made, shown and registered. Only the SHA-256 hash of a key is ever stored.</summary>
public static class KeySecrets
{
    public const string SandboxPrefix = "am_sk_test_";
    public const string LivePrefix = "am_sk_live_";

    /// <summary>A new key of the environment: its prefix and 48 hex characters (192 bits) from the OS CSPRNG.</summary>
    public static string NewSecret(Env env) =>
        (env == Env.Live ? LivePrefix : SandboxPrefix) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>
    /// What keys.list shows of a key: its environment prefix and up to 4 characters of the secret, never more than a
    /// quarter of it (a short key from TALLY_SECRET_KEYS shows fewer).
    /// </summary>
    public static string DisplayPrefix(string key)
    {
        var secret = key.Length - SandboxPrefix.Length;
        return key[..(SandboxPrefix.Length + Math.Min(4, Math.Max(secret, 0) / 4))];
    }

    /// <summary>The row to register for a key (the id is used only if the key is new).</summary>
    public static NewApiKey Registration(string id, string key, Env env, string name) =>
        new(id, Http.KeyResolver.Hash(key), env, DisplayPrefix(key), name);
}
