using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;

using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Api.Balances;

/// <summary>The <c>lock</c> of check and track: a reservation that balances.finalize later settles.</summary>
internal sealed record LockRequest(string LockId, DateTimeOffset? ExpiresAt)
{
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    /// <summary>Validates the lock part of a body; (null, null) when there is no enabled lock.</summary>
    public static (LockRequest? Lock, Reply? Error) Parse(TenantId t, LockParams? p, Feature feature, bool byEventName, DateTimeOffset now)
    {
        if (p is null || !p.Enabled)
        {
            return (null, null);
        }
        if (string.IsNullOrWhiteSpace(p.LockId) || p.LockId.Length > 256)
        {
            return (null, Errors.Invalid(t, "lock.lock_id: must be a non-empty string of at most 256 characters"));
        }
        if (byEventName)
        {
            return (null, Errors.Invalid(t, "lock: needs feature_id; a lock reserves one feature"));
        }
        if (feature.IsContinuous || feature.Type == FeatureType.Boolean)
        {
            return (null, Errors.BadRequest(t, $"lock: not allowed on {(feature.IsContinuous ? "continuous-use" : "boolean")} feature {feature.Id}"));
        }
        DateTimeOffset? expires = null;
        if (Limits.Timestamp(t, "lock.expires_at", p.ExpiresAt) is { } outOfRange)
        {
            return (null, outOfRange);
        }
        if (p.ExpiresAt is { } ms)
        {
            expires = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            if (expires <= now)
            {
                return (null, Errors.Invalid(t, "lock.expires_at: must be in the future"));
            }
            if (expires > now + MaxLifetime)
            {
                return (null, Errors.Invalid(t, "lock.expires_at: at most one day ahead"));
            }
        }
        return (new LockRequest(p.LockId, expires), null);
    }
}
