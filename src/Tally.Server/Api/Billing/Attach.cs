using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Http;

namespace Tally.Server.Api.Billing;

/// <summary>
/// billing.attach without a payment provider: the plan's items become balance sources right away (priced plans
/// are treated as paid out of band, so payment_url is always null). Plans of one group replace each other unless
/// add-on; attaching a plan the subject already has is 409 plan_already_attached.
/// </summary>
internal static class Attach
{
    public static async Task<Reply> Handle(Call<AttachParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalog.Plan(r.PlanId, r.Version) is not { } plan)
        {
            return Errors.PlanNotFound(t, r.PlanId);
        }
        if (plan.Archived)
        {
            return Errors.BadRequest(t, $"Plan {plan.Id} is archived and cannot be attached");
        }
        var quantities = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var options = (r.FeatureQuantities ?? []).Concat(r.Options ?? []).ToList();
        for (var i = 0; i < options.Count; i++)
        {
            var o = options[i];
            if (o.Quantity is not { } q || q < 0)
            {
                return Errors.Invalid(t, $"feature_quantities[{i}].quantity: must be a number of at least 0");
            }
            if (Limits.Quantity(t, $"feature_quantities[{i}].quantity", q) is { } tooLarge)
            {
                return tooLarge;
            }
            if (plan.Items.FirstOrDefault(it => it.FeatureId == o.FeatureId) is not { Price.BillingMethod: BillingMethod.Prepaid })
            {
                return Errors.Invalid(t, $"feature_quantities[{i}].feature_id: {o.FeatureId} is not a prepaid item of plan {plan.Id}");
            }
            quantities[o.FeatureId] = q;
        }
        foreach (var item in plan.Items.Where(i => i.Price?.BillingMethod == BillingMethod.Prepaid))
        {
            if (!quantities.ContainsKey(item.FeatureId))
            {
                return Errors.Invalid(t, $"feature_quantities: a quantity for prepaid feature {item.FeatureId} is required");
            }
        }
        var result = await call.Store.MutateCustomerAsync(t, r.CustomerId, (state, cat) =>
        {
            if (Balances.Subject.Missing(t, state, r.CustomerId, r.EntityId) is { } missing)
            {
                return Units.Fail(missing);
            }
            var now = call.Clock.NowFor(state!.Customer);
            var w = Units.Begin(call, state, cat, now);
            var outcome = Grants.Attach(w, cat, plan, r.EntityId, quantities, now, call.Ids);
            if (outcome.Status == AttachStatus.AlreadyAttached)
            {
                return Units.Fail(Errors.Conflict(t, ErrorCodes.PlanAlreadyAttached,
                    $"Plan {plan.Id} is already attached to {(r.EntityId is null ? "customer " + r.CustomerId : "entity " + r.EntityId)}"));
            }
            var reply = Reply.Ok(new AttachResponse { CustomerId = r.CustomerId, EntityId = r.EntityId, PaymentUrl = null },
                TallyJsonContext.Default.AttachResponse);
            return Units.Commit(w, reply);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
