using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>keys.create</c>: a new secret key for the caller's organization and environment.</summary>
public sealed class CreateKeyParams
{
    /// <summary>What the key is for (1 to 256 characters), shown by <c>keys.list</c>.</summary>
    [JsonRequired]
    public string Name { get; set; } = "";
}

/// <summary>Body of <c>keys.revoke</c>.</summary>
public sealed class RevokeKeyParams
{
    /// <summary>Id of the key to revoke (<c>key_…</c>, from <c>keys.list</c> or <c>keys.create</c>).</summary>
    [JsonRequired]
    public string Id { get; set; } = "";
}

/// <summary>A secret key as <c>keys.list</c> and <c>keys.revoke</c> show it: never the secret itself.</summary>
public sealed class ApiKey
{
    /// <summary>Id of the key (<c>key_…</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The name given at creation (<c>TALLY_SECRET_KEYS</c> or <c>first start</c> for keys from the environment).</summary>
    public string Name { get; set; } = "";

    /// <summary>The start of the key (e.g. <c>am_sk_test_3f9a</c>), to tell keys apart; null for keys registered before key management until the environment lists them again.</summary>
    public string? Prefix { get; set; }

    /// <summary>Environment: <c>sandbox</c> or <c>live</c>.</summary>
    public string Env { get; set; } = "";

    /// <summary>Where the key came from: <c>env</c> (TALLY_SECRET_KEYS or first start) or <c>api</c> (<c>keys.create</c>).</summary>
    public string Source { get; set; } = "";

    /// <summary>Creation time (ms since epoch).</summary>
    public long CreatedAt { get; set; }

    /// <summary>When the key last authenticated a request (ms since epoch, to about a minute); null if never.</summary>
    public long? LastUsedAt { get; set; }

    /// <summary>When the key was revoked (ms since epoch); null while it is active.</summary>
    public long? RevokedAt { get; set; }
}

/// <summary>Answer of <c>keys.create</c>: the key, and its secret, shown this once (only a hash of it is kept).</summary>
public sealed class CreatedApiKey
{
    /// <summary>Id of the key (<c>key_…</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The name given at creation.</summary>
    public string Name { get; set; } = "";

    /// <summary>The start of the key, as <c>keys.list</c> shows it.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Environment: <c>sandbox</c> or <c>live</c> (the caller's).</summary>
    public string Env { get; set; } = "";

    /// <summary>Creation time (ms since epoch).</summary>
    public long CreatedAt { get; set; }

    /// <summary>The secret key (<c>am_sk_test_…</c> or <c>am_sk_live_…</c>). It cannot be shown again: store it now.</summary>
    public string Secret { get; set; } = "";
}

/// <summary>Error codes of key management.</summary>
public static partial class ErrorCodes
{
    /// <summary>404: no key with this id in the caller's organization and environment.</summary>
    public const string KeyNotFound = "key_not_found";

    /// <summary>400: the key is the environment's last active key; create another before revoking it.</summary>
    public const string LastKey = "last_key";
}
