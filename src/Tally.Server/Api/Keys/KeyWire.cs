using Tally.Core.Storage;

namespace Tally.Server.Api.Keys;

internal static class KeyWire
{
    public static Contracts.ApiKey ToWire(this ApiKeyInfo k) => new()
    {
        Id = k.KeyId,
        Name = k.Name,
        Prefix = k.Prefix,
        Env = k.Tenant.EnvName,
        Source = k.Source == ApiKeySource.Api ? "api" : "env",
        CreatedAt = k.CreatedAt.ToUnixTimeMilliseconds(),
        LastUsedAt = k.LastUsedAt?.ToUnixTimeMilliseconds(),
        RevokedAt = k.RevokedAt?.ToUnixTimeMilliseconds(),
    };
}
