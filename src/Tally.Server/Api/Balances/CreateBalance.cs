using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Api.Balances;

/// <summary>balances.create: a standalone grant (promo, top-up, manual credit) to a customer or one of its entities.</summary>
internal static class CreateBalance
{
    public static async Task<Reply> Handle(Call<CreateBalanceParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalog.Feature(r.FeatureId) is not { } feature)
        {
            return Errors.FeatureNotFound(t, r.FeatureId);
        }
        var (command, error) = Validate(t, r, feature);
        if (error is not null)
        {
            return error;
        }
        return await CustomerUnit.RunAsync(call, r.CustomerId, new Command(r, command!), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body and the grant it asks for (validated against the feature, not yet against the customer).</summary>
    public readonly record struct Command(CreateBalanceParams Request, GrantCommand Grant);

    /// <summary>The decision: the grant against the customer's state, at the customer's now.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r, now, feature) = (u.Tenant, cmd.Request, u.Now, cmd.Grant.Feature);
        if (Subject.MissingEntity(t, w, r.EntityId) is { } missing)
        {
            return UnitContext.Fail(missing);
        }
        if (r.ExpiresAt is { } exp && exp <= now.ToUnixTimeMilliseconds())
        {
            return UnitContext.Fail(Errors.Invalid(t, "expires_at: must be in the future"));
        }
        if (r.NextResetAt is { } next && next <= now.ToUnixTimeMilliseconds())
        {
            return UnitContext.Fail(Errors.Invalid(t, "next_reset_at: must be in the future"));
        }
        if (RolloverOutlived(cmd.Grant, now) is { } nextReset)
        {
            return UnitContext.Fail(Errors.Invalid(t,
                $"expires_at: {DateTimeOffset.FromUnixTimeMilliseconds(r.ExpiresAt!.Value):O} occurs before the next rollover at {nextReset:O}"));
        }
        if (r.EntityId is { } eid && w.Entity(eid)!.FeatureId == feature.Id)
        {
            return UnitContext.Fail(Errors.BadRequest(t, $"entity {eid} cannot receive a balance of its own type feature {feature.Id}"));
        }
        return BalanceOps.Create(w, cmd.Grant, now, u.Ids) switch
        {
            GrantStatus.DuplicateBalanceId => UnitContext.Fail(Errors.BadRequest(t, $"balance_id: a balance {r.BalanceId} already exists for this customer")),
            GrantStatus.FlagAlreadyGranted => UnitContext.Fail(Errors.BadRequest(t, $"feature {feature.Id} is already granted to this customer")),
            _ => UnitContext.Commit(w, Reply.Success),
        };
    }

    /// <summary>
    /// The first reset of a rolling-over grant when the grant expires before it (so the rollover could never happen),
    /// else null. As in Autumn, the reset is counted from now when no next_reset_at is given.
    /// </summary>
    public static DateTimeOffset? RolloverOutlived(GrantCommand g, DateTimeOffset now)
    {
        if (g.Rollover is null || g.ExpiresAt is not { } expires || g.Reset is not { Interval: not ResetInterval.OneOff } reset)
        {
            return null;
        }
        var next = g.NextResetAt ?? Calendar.Add(now, reset.Interval, reset.IntervalCount, 1);
        return next > expires ? next : null;
    }

    private static (GrantCommand? Command, Reply? Error) Validate(TenantId t, CreateBalanceParams r, Feature feature)
    {
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return (null, Errors.Invalid(t, "customer_id: must be a non-empty string"));
        }
        var unlimited = r.Unlimited == true;
        if (feature.Type == FeatureType.Boolean)
        {
            if (r.IncludedGrant is not null || unlimited || r.Reset is not null)
            {
                return (null, Errors.Invalid(t, "included_grant, unlimited, reset: not allowed for a boolean feature (a boolean grant is a flag)"));
            }
        }
        else if ((r.IncludedGrant is null) == !unlimited)
        {
            return (null, Errors.Invalid(t, "included_grant, unlimited: exactly one of them is required for a metered feature"));
        }
        if (r.IncludedGrant is < 0)
        {
            return (null, Errors.Invalid(t, "included_grant: must not be negative"));
        }
        if (Limits.First(Limits.Quantity(t, "included_grant", r.IncludedGrant), Limits.Count(t, "reset.interval_count", r.Reset?.IntervalCount),
                Limits.Timestamp(t, "expires_at", r.ExpiresAt), Limits.Timestamp(t, "next_reset_at", r.NextResetAt),
                Limits.Quantity(t, "rollover.max", r.Rollover?.Max), Limits.Count(t, "rollover.length", r.Rollover?.Length)) is { } outOfRange)
        {
            return (null, outOfRange);
        }
        ItemReset? reset = null;
        if (r.Reset is { } rs)
        {
            if (!ResetIntervals.TryParse(rs.Interval, out var iv))
            {
                return (null, Errors.Invalid(t, $"reset.interval: must be one of {Subject.Intervals}"));
            }
            if (rs.IntervalCount is < 1)
            {
                return (null, Errors.Invalid(t, "reset.interval_count: must be at least 1"));
            }
            if (feature.IsContinuous && iv != ResetInterval.OneOff)
            {
                return (null, Errors.Invalid(t, $"reset: feature {feature.Id} is continuous-use and never resets"));
            }
            reset = new ItemReset(iv, rs.IntervalCount ?? 1);
        }
        var resets = reset is { } x && x.Interval != ResetInterval.OneOff;
        if (r.Rollover is not null && !resets)
        {
            return (null, Errors.Invalid(t, "rollover: needs a recurring reset"));
        }
        if (r.NextResetAt is not null && !resets)
        {
            return (null, Errors.Invalid(t, "next_reset_at: needs a recurring reset"));
        }
        if (r.NextResetAt is { } n && r.ExpiresAt is { } e && n >= e)
        {
            return (null, Errors.Invalid(t, "next_reset_at: must be before expires_at"));
        }
        RolloverConfig? rollover = null;
        if (r.Rollover is { } ro)
        {
            if (ro.Duration is not (null or "month" or "forever"))
            {
                return (null, Errors.Invalid(t, "rollover.duration: must be month or forever"));
            }
            if (ro.Max is < 0 || ro.MaxPercentage is < 0 or > 100 || ro.Length < 0)
            {
                return (null, Errors.Invalid(t, "rollover: max, max_percentage (0-100) and length must not be negative"));
            }
            rollover = new RolloverConfig
            {
                Max = ro.Max,
                MaxPercentage = ro.MaxPercentage,
                ExpiryType = ro.Duration == "forever" ? RolloverExpiry.Forever : RolloverExpiry.Month,
                ExpiryLength = ro.Length,
            };
        }
        return (new GrantCommand
        {
            Feature = feature,
            EntityId = r.EntityId,
            BalanceId = r.BalanceId,
            IncludedGrant = r.IncludedGrant ?? 0,
            Unlimited = unlimited,
            Reset = reset,
            Rollover = rollover,
            ExpiresAt = r.ExpiresAt is { } ea ? DateTimeOffset.FromUnixTimeMilliseconds(ea) : null,
            NextResetAt = r.NextResetAt is { } na ? DateTimeOffset.FromUnixTimeMilliseconds(na) : null,
        }, null);
    }
}
