using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Balances;

/// <summary>
/// balances.update: set remaining, add to it, set usage, change this cycle's grant, or move the reset / expiry of the
/// targeted sources. remaining / add_to_balance / usage on a feature the customer has no balance of is a 200 no-op.
/// </summary>
internal static class UpdateBalance
{
    public static async Task<Reply> Handle(Call<UpdateBalanceParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return Errors.Invalid(t, "customer_id: must be a non-empty string");
        }
        if (r.Remaining is not null && r.AddToBalance is not null)
        {
            return Errors.Invalid(t, "remaining, add_to_balance: cannot specify both");
        }
        if (r.Remaining is not null && r.Usage is not null)
        {
            return Errors.Invalid(t, "remaining, usage: cannot specify both");
        }
        if (r.IncludedGrant is < 0)
        {
            return Errors.Invalid(t, "included_grant: must not be negative");
        }
        if (Limits.First(Limits.Quantity(t, "remaining", r.Remaining), Limits.Quantity(t, "add_to_balance", r.AddToBalance),
                Limits.Quantity(t, "usage", r.Usage), Limits.Quantity(t, "included_grant", r.IncludedGrant),
                Limits.Timestamp(t, "next_reset_at", r.NextResetAt), Limits.Timestamp(t, "expires_at", r.ExpiresAt)) is { } outOfRange)
        {
            return outOfRange;
        }
        if (!Subject.TryInterval(r.Interval, out var interval))
        {
            return Errors.Invalid(t, $"interval: must be one of {Subject.Intervals}");
        }
        if (r.Remaining is null && r.AddToBalance is null && r.Usage is null && r.IncludedGrant is null && r.NextResetAt is null
            && r.ExpiresAt is null)
        {
            return Errors.Invalid(t, "one of remaining, add_to_balance, usage, included_grant, next_reset_at, expires_at is required");
        }
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalog.Feature(r.FeatureId) is not { } feature)
        {
            return Errors.FeatureNotFound(t, r.FeatureId);
        }
        var target = new BalanceTarget(feature.Id, r.EntityId, interval, r.BalanceId);
        return await CustomerUnit.RunAsync(call, r.CustomerId, new Command(r, target), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body and the sources it targets (feature, entity, interval, balance id).</summary>
    public readonly record struct Command(UpdateBalanceParams Request, BalanceTarget Target);

    /// <summary>The decision: the update against the customer's state, at the customer's now.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r, now) = (u.Tenant, cmd.Request, u.Now);
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
        var update = new BalanceUpdate
        {
            Remaining = r.Remaining,
            AddToBalance = r.AddToBalance,
            Usage = r.Usage,
            IncludedGrant = r.IncludedGrant,
            NextResetAt = r.NextResetAt is { } n ? DateTimeOffset.FromUnixTimeMilliseconds(n) : null,
            ExpiresAt = r.ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
        };
        return BalanceOps.Update(w, cat, cmd.Target, update, now, u.Ids) switch
        {
            UpdateStatus.NoBalanceForIncludedGrant => UnitContext.Fail(Reply.Error(404, ErrorCodes.InvalidRequest,
                $"No balances to update for feature {cmd.Target.FeatureId}", t)),
            UpdateStatus.NothingToUpdate => UnitContext.Answer(w, Reply.Success),
            _ => UnitContext.Commit(w, Reply.Success),
        };
    }
}
