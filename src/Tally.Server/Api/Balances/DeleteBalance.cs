using Tally.Contracts;
using Tally.Core.Engine;
using Tally.Server.Http;

namespace Tally.Server.Api.Balances;

/// <summary>balances.delete: removes standalone grants, by balance_id or by feature (and interval).</summary>
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
        if (!Subject.TryInterval(r.Interval, out var interval))
        {
            return Errors.Invalid(t, $"interval: must be one of {Subject.Intervals}");
        }
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (r.FeatureId is { } fid && catalog.Feature(fid) is null)
        {
            return Errors.FeatureNotFound(t, fid);
        }
        var result = await call.Store.MutateCustomerAsync(t, r.CustomerId, (state, cat) =>
        {
            if (Subject.Missing(t, state, r.CustomerId, r.EntityId) is { } missing)
            {
                return Units.Fail(missing);
            }
            var now = call.Clock.NowFor(state!.Customer);
            var w = Units.Begin(call, state, cat, now);
            var target = new BalanceTarget(r.FeatureId ?? "", r.EntityId, interval, r.BalanceId);
            return BalanceOps.Delete(w, cat, target, r.RecalculateBalances == true, now, call.Ids) switch
            {
                DeleteBalanceStatus.NotFound => Units.Fail(Reply.Error(404, ErrorCodes.InvalidRequest,
                    $"No balance found for {(r.BalanceId is { } b ? "balance_id " + b : "feature " + r.FeatureId)}", t)),
                DeleteBalanceStatus.PlanBalance => Units.Fail(Errors.BadRequest(t,
                    "this balance comes from an attached plan and cannot be deleted; only standalone balances can")),
                _ => Units.Commit(w, Reply.Success),
            };
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
