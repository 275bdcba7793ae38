using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Billing;

/// <summary>
/// billing.update without a payment provider: cancel a plan now or at the end of its billing cycle, take a pending
/// cancellation back, change prepaid quantities, or move to another version of the plan. Payment-only fields are
/// accepted and ignored.
/// </summary>
internal static class UpdateBilling
{
    public static async Task<Reply> Handle(Call<UpdateBillingParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        CancelAction? cancel = r.CancelAction switch
        {
            null => null,
            "cancel_immediately" => CancelAction.CancelImmediately,
            "cancel_end_of_cycle" => CancelAction.CancelEndOfCycle,
            "uncancel" => CancelAction.Uncancel,
            _ => (CancelAction?)(-1),
        };
        if (cancel is { } c && !Enum.IsDefined(c))
        {
            return Errors.Invalid(t, "cancel_action: must be one of cancel_immediately, cancel_end_of_cycle, uncancel");
        }
        if (r.Version is < 1)
        {
            return Errors.Invalid(t, "version: must be at least 1");
        }
        var quantities = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var list = r.FeatureQuantities ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Quantity is not { } q || q < 0)
            {
                return Errors.Invalid(t, $"feature_quantities[{i}].quantity: must be a number of at least 0");
            }
            if (Limits.Quantity(t, $"feature_quantities[{i}].quantity", q) is { } tooLarge)
            {
                return tooLarge;
            }
            quantities[list[i].FeatureId] = q;
        }
        if (cancel is not null && (quantities.Count > 0 || r.Version is not null || r.Customize is not null))
        {
            return Errors.Invalid(t, "cancel_action: cannot be combined with feature_quantities, version or customize in one update");
        }
        if (r.Customize is { FreeTrialSpecified: true })
        {
            return Errors.Invalid(t, "customize.free_trial: a trial starts with attach; billing.update cannot start or change one");
        }
        var carry = r.CarryOverUsages?.Enabled ?? true;
        var carryOnly = r.CarryOverUsages?.FeatureIds is { } ids ? new HashSet<string>(ids, StringComparer.Ordinal) : null;
        var cmd = new Command(r, cancel, quantities, carry, carryOnly);
        return await CustomerUnit.RunAsync(call, r.CustomerId, cmd, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body, the cancel action, prepaid totals per feature, and which usage carries to a new version.</summary>
    public sealed record Command(UpdateBillingParams Request, CancelAction? Cancel, IReadOnlyDictionary<string, decimal> Quantities,
        bool Carry, IReadOnlySet<string>? CarryOnly);

    /// <summary>The decision: finds the attachment and applies the change at the customer's now.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r) = (u.Tenant, cmd.Request);
        if (Balances.Subject.MissingEntity(t, w, r.EntityId) is { } missing)
        {
            return UnitContext.Fail(missing);
        }
        var scope = w.Plans().Where(p => p.EntityId == r.EntityId).ToList();
        var subject = r.EntityId is null ? "customer " + r.CustomerId : "entity " + r.EntityId;
        CustomerPlan? cp;
        if (r.PlanId is { } planId)
        {
            cp = scope.Where(p => p.PlanId == planId).OrderBy(p => p.Status == AttachmentStatus.Scheduled ? 1 : 0).FirstOrDefault();
            if (cp is null)
            {
                return UnitContext.Fail(Reply.Error(404, ErrorCodes.CustomerProductNotFound, $"Plan {planId} is not attached to {subject}", t));
            }
        }
        else if (scope.Count == 1)
        {
            cp = scope[0];
        }
        else
        {
            return UnitContext.Fail(Errors.Invalid(t, $"plan_id: required, {subject} has {scope.Count} plans"));
        }

        var changes = new List<(string? Entity, PlanChange Change)>();
        if (cmd.Cancel is { } action)
        {
            var result = PlanChanges.Cancel(w, cat, cp, action, u.Now, u.Ids, changes);
            if (!result.Ok)
            {
                return UnitContext.Fail(Errors.BadRequest(t, result.Refusal!));
            }
        }
        else
        {
            // The same version keeps this customer's customization; another version is served as the catalog has it
            // unless customize comes with it.
            var target = r.Version is { } wanted && wanted != cp.PlanVersion ? cat.Plan(cp.PlanId, wanted) : cat.PlanOf(cp);
            if (target is null)
            {
                return UnitContext.Fail(r.Version is { } v
                    ? Reply.Error(404, ErrorCodes.ProductNotFound, $"Plan {cp.PlanId} has no version {v}", t)
                    : Errors.PlanNotFound(t, cp.PlanId));
            }
            var custom = cp.Custom;
            var customized = false;
            if (r.Customize is not null)
            {
                var (applied, newCustom, customError) = AttachCustomize.Apply(t, r.Customize, target, cat);
                if (customError is not null)
                {
                    return UnitContext.Fail(customError);
                }
                (target, custom, customized) = (applied, newCustom, true);
            }
            else if (target.Version != cp.PlanVersion)
            {
                custom = null;
            }
            foreach (var featureId in cmd.Quantities.Keys)
            {
                if (target.Items.FirstOrDefault(it => it.FeatureId == featureId) is not { Price.BillingMethod: BillingMethod.Prepaid })
                {
                    var index = (cmd.Request.FeatureQuantities ?? []).FindIndex(o => o.FeatureId == featureId);
                    return UnitContext.Fail(Errors.Invalid(t, $"feature_quantities[{index}].feature_id: {featureId} is not a prepaid item of plan {target.Id}"));
                }
            }
            if (target.Version != cp.PlanVersion || customized)
            {
                if (cp.Status == AttachmentStatus.Scheduled)
                {
                    var options = new Dictionary<string, decimal>(cp.Options, StringComparer.Ordinal);
                    foreach (var (k, q) in cmd.Quantities) options[k] = q;
                    w.Put(cp with { PlanVersion = target.Version, Options = options, Custom = custom });
                    changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "updated", target.Version)));
                }
                else
                {
                    PlanChanges.ChangeVersion(w, cat, cp, target, cmd.Quantities, cmd.Carry, cmd.CarryOnly, u.Now, u.Ids, changes, custom);
                }
            }
            else if (cmd.Quantities.Count > 0)
            {
                PlanChanges.SetQuantities(w, target, cp, cmd.Quantities, u.Now, u.Ids, changes);
            }
        }
        PlanLifecycle.Announce(w, changes);
        var reply = Reply.Ok(new AttachResponse { CustomerId = r.CustomerId, EntityId = r.EntityId, PaymentUrl = null },
            TallyJsonContext.Default.AttachResponse);
        return UnitContext.Commit(w, reply);
    }
}
