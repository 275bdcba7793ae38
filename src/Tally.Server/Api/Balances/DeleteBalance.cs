using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Balances;

/// <summary>
/// balances.delete: removes any unpaid balance (standalone or from a plan), by balance_id or by feature (and
/// interval). With recalculate_balances the deleted usage moves to the feature's surviving balances, or, when none
/// survives, the deleted row stays as the holder of that usage.
/// </summary>
internal static class DeleteBalance
{
    public static async Task<Reply> Handle(Call<DeleteBalanceParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return Errors.Invalid(t, "customer_id: must be a non-empty string");
        }
        if (r.BalanceId is null && r.FeatureId is null)
        {
            return Errors.Invalid(t, "balance_id, feature_id: one of them is required");
        }
        if (r.RecalculateBalances == true && r.FeatureId is null)
        {
            return Errors.Invalid(t, "feature_id: is required when recalculate_balances is true");
        }
        if (!Subject.TryInterval(r.Interval, out var interval))
        {
            return Errors.Invalid(t, $"interval: must be one of {Subject.Intervals}");
        }
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (r.FeatureId is { } fid && catalog.Feature(fid) is null)
        {
            return Errors.FeatureNotFound(t, fid);
        }
        var target = new BalanceTarget(r.FeatureId ?? "", r.EntityId, interval, r.BalanceId);
        return await CustomerUnit.RunAsync(call, r.CustomerId, new Command(r, target), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body and the sources it targets (by balance id, or by feature, entity and interval).</summary>
    public readonly record struct Command(DeleteBalanceParams Request, BalanceTarget Target);

    /// <summary>The decision: removes the targeted unpaid balances from the customer's state.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r) = (u.Tenant, cmd.Request);
        if (Subject.MissingEntity(t, w, r.EntityId) is { } missing)
        {
            return UnitContext.Fail(missing);
        }
        return BalanceOps.Delete(w, cat, cmd.Target, r.RecalculateBalances == true, u.Now, u.Ids) switch
        {
            DeleteBalanceStatus.NotFound => UnitContext.Fail(Reply.Error(404, ErrorCodes.InvalidRequest,
                $"No balance found for {(r.BalanceId is { } b ? "balance_id " + b : "feature " + r.FeatureId)}", t)),
            DeleteBalanceStatus.PaidBalance => UnitContext.Fail(Errors.Conflict(t, ErrorCodes.InvalidRequest,
                $"Cannot delete a paid balance of feature {r.FeatureId ?? r.BalanceId}: it carries a price")),
            _ => UnitContext.Commit(w, Reply.Success),
        };
    }
}
