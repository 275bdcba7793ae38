using Tally.Core.Domain;

namespace Tally.Core.Storage;

/// <summary>Where a key came from: the environment (TALLY_SECRET_KEYS or the keys printed at first start) or <c>keys.create</c>.</summary>
public enum ApiKeySource
{
    Env,
    Api,
}

/// <summary>What an active presented key resolves to.</summary>
public sealed record ApiKeyIdentity(string KeyId, TenantId Tenant);

/// <summary>A stored key as listed: never its secret or its hash.</summary>
public sealed record ApiKeyInfo(
    string KeyId,
    TenantId Tenant,
    string Name,
    string? Prefix,
    ApiKeySource Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);

/// <summary>A key to register: its id (kept when the hash is already known), hash, environment, display prefix and name.</summary>
public sealed record NewApiKey(string KeyId, string KeyHash, Env Env, string? Prefix, string Name);

/// <summary>
/// What registering the environment's keys did: ids of keys revoked because the environment no longer lists them, and
/// ids of listed keys that stay revoked (a revocation is final, whoever still lists the key).
/// </summary>
public sealed record EnvKeySync(IReadOnlyList<string> Revoked, IReadOnlyList<string> ListedButRevoked);

public enum RevokeOutcome
{
    /// <summary>The key is revoked (now, or it already was).</summary>
    Revoked,
    /// <summary>No key with this id in the tenant.</summary>
    NotFound,
    /// <summary>The key is the tenant's last active key: revoking it would lock everyone out.</summary>
    LastKey,
}

public sealed record RevokeResult(RevokeOutcome Outcome, ApiKeyInfo? Key);
