using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

using Customer = Tally.Core.Domain.Customer;

namespace Tally.Server.Api.Customers;

/// <summary>
/// customers.get_or_create: an existing customer is returned with only its empty name/email filled in (and
/// send_email_receipts updated); a new one is created and gets every auto_enable plan (or auto_enable_plan_id).
/// </summary>
internal static class GetOrCreateCustomer
{
    public static async Task<Reply> Handle(Call<GetOrCreateCustomerParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.CustomerId is null)
        {
            return Errors.Invalid(t, "customer_id: required; Tally identifies every customer by your id (id-less customers are not supported)");
        }
        if (CustomerRules.CheckId(t, r.CustomerId) is { } bad)
        {
            return bad;
        }
        if (r.Metadata is { } m && m.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null))
        {
            return Errors.Invalid(t, "metadata: must be an object");
        }
        if (ControlRules.Validate(t, r.BillingControls) is { } badControls)
        {
            return badControls;
        }
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (r.AutoEnablePlanId is { } pid && catalog.Plan(pid) is null)
        {
            return Errors.PlanNotFound(t, pid);
        }
        return await CustomerUnit.RunRawAsync(call, r.CustomerId, r, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>
    /// The decision: an existing customer (settled at its now) with its empty name/email filled in, or a new one
    /// with its auto-enabled plans. Both answers are kept for replay.
    /// </summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, GetOrCreateCustomerParams r, UnitContext u)
    {
        if (state is null)
        {
            return Create(cat, r, u);
        }
        var c = state.Customer;
        var w = u.Open(state, cat);
        var filled = c with
        {
            Name = string.IsNullOrEmpty(c.Name) ? r.Name ?? c.Name : c.Name,
            Email = string.IsNullOrEmpty(c.Email) ? r.Email ?? c.Email : c.Email,
            SendEmailReceipts = r.SendEmailReceipts ?? c.SendEmailReceipts,
        };
        if (filled != c)
        {
            w.SetCustomer(filled);
        }
        var reply = Reply.Ok(CustomerWire.ToWire(w, cat, u.Tenant, u.Now, CustomerRules.WantsEntities(r.Expand)), TallyJsonContext.Default.Customer);
        return UnitContext.Commit(w, reply);
    }

    private static Decision<Reply> Create(Catalog cat, GetOrCreateCustomerParams r, UnitContext u)
    {
        var now = u.Now;
        var customer = new Customer
        {
            Id = r.CustomerId!,
            Name = r.Name,
            Email = r.Email,
            Fingerprint = r.Fingerprint,
            StripeId = r.StripeId,
            MetadataJson = Json.Raw(r.Metadata) ?? "{}",
            BillingControlsJson = Json.Raw(r.BillingControls) ?? "{}",
            SendEmailReceipts = r.SendEmailReceipts ?? false,
            CreatedAt = now,
        };
        var w = new Working(new CustomerState(customer), customerIsNew: true);
        var plans = r.AutoEnablePlanId is { } pid
            ? [cat.Plan(pid)!]
            : cat.LatestPlans.Where(p => p.AutoEnable && !p.Archived).OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
        foreach (var plan in plans)
        {
            Grants.Attach(w, cat, plan, null, new Dictionary<string, decimal>(), now, u.Ids);
        }
        var reply = Reply.Ok(CustomerWire.ToWire(w, cat, u.Tenant, now, CustomerRules.WantsEntities(r.Expand)), TallyJsonContext.Default.Customer);
        return UnitContext.Commit(w, reply);
    }
}
