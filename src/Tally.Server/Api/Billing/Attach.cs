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
/// with the trial. Payment-only fields are accepted and ignored.
/// </summary>
internal static class Attach
{
    /// <summary>The field's name when it carries a value (JSON null counts as absent).</summary>
    internal static string? Unsupported(System.Text.Json.JsonElement? value, string field) =>
        value is { ValueKind: not (System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined) } ? field : null;

    public static async Task<Reply> Handle(Call<AttachParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        // Accepted-and-ignored would be a silent drop: these are refused until Tally applies them.
        if ((Unsupported(r.Customize, "customize") ?? Unsupported(r.CarryOverBalances, "carry_over_balances")
            ?? Unsupported(r.CarryOverUsages, "carry_over_usages")) is { } field)
        {
            return Errors.Invalid(t, $"{field}: not supported by Tally");
        }
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
        if (Limits.Timestamp(t, "starts_at", r.StartsAt) is { } badStart)
        {
            return badStart;
        }
        if (AttachTrial.Parse(t, r.FreeTrial, plan) is { Error: { } badTrial })
        {
            return badTrial;
        }
        var trial = AttachTrial.Parse(t, r.FreeTrial, plan).Trial;
        return await CustomerUnit.RunAsync(call, r.CustomerId, new Command(r, plan, quantities, trial), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body, the plan version it attaches, the total quantity of each prepaid item, and the trial that applies.</summary>
    public sealed record Command(AttachParams Request, Plan Plan, IReadOnlyDictionary<string, decimal> Quantities, FreeTrial? Trial = null);

    /// <summary>The decision: attaches the plan to the customer (or its entity) at the customer's now.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r, plan) = (u.Tenant, cmd.Request, cmd.Plan);
        if (Balances.Subject.MissingEntity(t, w, r.EntityId) is { } missing)
        {
            return UnitContext.Fail(missing);
        }
        var startsAt = r.StartsAt is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        var terms = AttachTrial.Terms(cmd.Trial, startsAt, u.Now);
        var outcome = Grants.Attach(w, cat, plan, r.EntityId, cmd.Quantities, u.Now, u.Ids, terms);
        if (outcome.Status == AttachStatus.AlreadyAttached)
        {
            return UnitContext.Fail(Errors.Conflict(t, ErrorCodes.PlanAlreadyAttached,
                $"Plan {plan.Id} is already attached to {(r.EntityId is null ? "customer " + r.CustomerId : "entity " + r.EntityId)}"));
        }
        var changes = outcome.Replaced.Select(p => (p.EntityId, new PlanChange(p.PlanId, "expired", p.PlanVersion))).ToList();
        if (outcome.Attachment is { } a)
        {
            changes.Add((a.EntityId, new PlanChange(a.PlanId, a.Status == AttachmentStatus.Scheduled ? "scheduled" : "activated", a.PlanVersion)));
        }
        PlanLifecycle.Announce(w, changes);
        var reply = Reply.Ok(new AttachResponse { CustomerId = r.CustomerId, EntityId = r.EntityId, PaymentUrl = null },
            TallyJsonContext.Default.AttachResponse);
        return UnitContext.Commit(w, reply);
    }
}
