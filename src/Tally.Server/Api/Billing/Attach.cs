using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

using Plan = Tally.Core.Domain.Plan;

namespace Tally.Server.Api.Billing;

/// <summary>
/// billing.attach without a payment provider: the plan's items become balance sources right away (priced plans
/// are treated as paid out of band, so payment_url is always null). Plans of one group replace each other unless
/// add-on; attaching a plan the subject already has is 409 plan_already_attached. A future starts_at schedules the
/// plan; a free trial (the request's, else the plan's) sets trial_ends_at, and one that needs no card ends the plan
/// with the trial. <c>customize</c> gives this customer its own items and base price; <c>carry_over_usages</c> and
/// <c>carry_over_balances</c> move what the replaced plan had. Payment-only fields are accepted and ignored.
/// </summary>
internal static class Attach
{
    /// <summary>The field's name when it carries a value (JSON null counts as absent).</summary>
    internal static string? Unsupported(System.Text.Json.JsonElement? value, string field) =>
        value is { ValueKind: not (System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined) } ? field : null;

    public static async Task<Reply> Handle(Call<AttachParams> call)
    {
        var catalog = await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        var (cmd, error) = Parse(call.Tenant, call.Request, catalog);
        if (error is not null)
        {
            return error;
        }
        return await CustomerUnit.RunAsync(call, call.Request.CustomerId, cmd!, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>
    /// The body, the plan version it attaches (with this customer's customization applied), the total quantity of
    /// each prepaid item, the trial that applies, and the customization and carry-overs the attachment records.
    /// </summary>
    public sealed record Command(AttachParams Request, Plan Plan, IReadOnlyDictionary<string, decimal> Quantities, FreeTrial? Trial = null,
        PlanCustomization? Custom = null, CarryOverScope? CarryUsages = null, CarryOverScope? CarryBalances = null);

    /// <summary>Checks an attach body against the catalog (shared by attach and preview_attach).</summary>
    public static (Command? Command, Reply? Error) Parse(TenantId t, AttachParams r, Catalog catalog)
    {
        if (catalog.Plan(r.PlanId, r.Version) is not { } catalogPlan)
        {
            return (null, Errors.PlanNotFound(t, r.PlanId));
        }
        if (catalogPlan.Archived)
        {
            return (null, Errors.BadRequest(t, $"Plan {catalogPlan.Id} is archived and cannot be attached"));
        }
        var (plan, custom, customError) = AttachCustomize.Apply(t, r.Customize, catalogPlan, catalog);
        if (customError is not null)
        {
            return (null, customError);
        }
        var quantities = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var options = (r.FeatureQuantities ?? []).Concat(r.Options ?? []).ToList();
        for (var i = 0; i < options.Count; i++)
        {
            var o = options[i];
            if (o.Quantity is not { } q || q < 0)
            {
                return (null, Errors.Invalid(t, $"feature_quantities[{i}].quantity: must be a number of at least 0"));
            }
            if (Limits.Quantity(t, $"feature_quantities[{i}].quantity", q) is { } tooLarge)
            {
                return (null, tooLarge);
            }
            if (plan.Items.FirstOrDefault(it => it.FeatureId == o.FeatureId) is not { Price.BillingMethod: BillingMethod.Prepaid })
            {
                return (null, Errors.Invalid(t, $"feature_quantities[{i}].feature_id: {o.FeatureId} is not a prepaid item of plan {plan.Id}"));
            }
            quantities[o.FeatureId] = q;
        }
        foreach (var item in plan.Items.Where(i => i.Price?.BillingMethod == BillingMethod.Prepaid))
        {
            if (!quantities.ContainsKey(item.FeatureId))
            {
                return (null, Errors.Invalid(t, $"feature_quantities: a quantity for prepaid feature {item.FeatureId} is required"));
            }
        }
        if ((Limits.Timestamp(t, "starts_at", r.StartsAt) ?? Limits.Timestamp(t, "ends_at", r.EndsAt)) is { } badTime)
        {
            return (null, badTime);
        }
        if (r.EndsAt is { } endMs && r.StartsAt is { } startMs && endMs <= startMs)
        {
            return (null, Errors.Invalid(t, "ends_at: must be after starts_at"));
        }
        // Tally switches plans of a group at once (or at starts_at); an end-of-cycle switch and removing other plans in
        // the same call are not something it does, so they are refused rather than dropped.
        if (r.PlanSchedule is not (null or "immediate"))
        {
            return (null, Errors.Invalid(t, "plan_schedule: only 'immediate' is supported by Tally (use starts_at to schedule)"));
        }
        if (r.RemovePlanIds is { Count: > 0 })
        {
            return (null, Errors.Invalid(t, "remove_plan_ids: not supported by Tally"));
        }
        var (trial, trialError) = r.Customize is { FreeTrialSpecified: true } c
            ? AttachTrial.Check(t, c.FreeTrial, "customize.free_trial")
            : AttachTrial.Parse(t, r.FreeTrial, catalogPlan);
        if (trialError is not null)
        {
            return (null, trialError);
        }
        var (usages, usagesError) = AttachCarryOver.Scope(t, r.CarryOverUsages, "carry_over_usages", catalog);
        var (balances, balancesError) = AttachCarryOver.Scope(t, r.CarryOverBalances, "carry_over_balances", catalog);
        if ((usagesError ?? balancesError) is { } carryError)
        {
            return (null, carryError);
        }
        return (new Command(r, plan, quantities, trial, custom, usages, balances), null);
    }

    /// <summary>The decision: attaches the plan to the customer (or its entity) at the customer's now.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var r = cmd.Request;
        var (outcome, error) = Apply(w, cat, cmd, u);
        if (error is not null)
        {
            return UnitContext.Fail(error);
        }
        var changes = outcome!.Replaced.Select(p => (p.EntityId, new PlanChange(p.PlanId, "expired", p.PlanVersion))).ToList();
        if (outcome.Attachment is { } a)
        {
            changes.Add((a.EntityId, new PlanChange(a.PlanId, a.Status == AttachmentStatus.Scheduled ? "scheduled" : "activated", a.PlanVersion)));
        }
        PlanLifecycle.Announce(w, changes);
        var reply = Reply.Ok(new AttachResponse { CustomerId = r.CustomerId, EntityId = r.EntityId, PaymentUrl = null },
            TallyJsonContext.Default.AttachResponse);
        return UnitContext.Commit(w, reply);
    }

    /// <summary>Attaches on the working view (attach commits it; preview_attach only reads it), or says why not.</summary>
    public static (AttachOutcome? Outcome, Reply? Error) Apply(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r, plan) = (u.Tenant, cmd.Request, cmd.Plan);
        if (Balances.Subject.MissingEntity(t, w, r.EntityId) is { } missing)
        {
            return (null, missing);
        }
        var startsAt = r.StartsAt is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        var endsAt = r.EndsAt is { } endMs ? DateTimeOffset.FromUnixTimeMilliseconds(endMs) : (DateTimeOffset?)null;
        if (endsAt <= u.Now)
        {
            return (null, Errors.Invalid(t, "ends_at: must be in the future"));
        }
        if (startsAt > u.Now && (cmd.CarryUsages ?? cmd.CarryBalances) is not null)
        {
            // Autumn carries only on an immediate switch; a scheduled start has nothing to carry from yet.
            var field = cmd.CarryUsages is not null ? "carry_over_usages" : "carry_over_balances";
            return (null, Errors.Invalid(t, $"{field}: only supported when the plan starts now, not with a future starts_at"));
        }
        var terms = AttachTrial.Terms(cmd.Trial, startsAt, u.Now) with
        {
            Custom = cmd.Custom,
            CarryUsages = cmd.CarryUsages,
            CarryBalances = cmd.CarryBalances,
            EndsAt = endsAt,
        };
        var outcome = Grants.Attach(w, cat, plan, r.EntityId, cmd.Quantities, u.Now, u.Ids, terms);
        if (outcome.Status == AttachStatus.AlreadyAttached)
        {
            return (null, Errors.Conflict(t, ErrorCodes.PlanAlreadyAttached,
                $"Plan {plan.Id} is already attached to {(r.EntityId is null ? "customer " + r.CustomerId : "entity " + r.EntityId)}"));
        }
        return (outcome, null);
    }
}
