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
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (r.AutoEnablePlanId is { } pid && catalog.Plan(pid) is null)
        {
            return Errors.PlanNotFound(t, pid);
        }
        var result = await call.Store.MutateCustomerAsync(t, r.CustomerId, (state, cat) =>
        {
            if (state is not null)
            {
                var c = state.Customer;
                var now = call.Clock.NowFor(c);
                var w = Units.Begin(call, state, cat, now);
                var filled = c with
                {
                    Name = string.IsNullOrEmpty(c.Name) ? r.Name ?? c.Name : c.Name,
                    Email = string.IsNullOrEmpty(c.Email) ? r.Email ?? c.Email : c.Email,
                    SendEmailReceipts = r.SendEmailReceipts ?? c.SendEmailReceipts,
                };
                if (filled != c)
                {
                    w.SetCustomer(filled);
                    var changed = Reply.Ok(CustomerWire.ToWire(w, cat, t, now, CustomerRules.WantsEntities(r.Expand)), TallyJsonContext.Default.Customer);
                    return Units.Commit(w, changed);
                }
                var reply = Reply.Ok(CustomerWire.ToWire(w, cat, t, now, CustomerRules.WantsEntities(r.Expand)), TallyJsonContext.Default.Customer);
                return new Decision<Reply>(reply, w.ToChanges(), reply.Body);
            }
            return Create(call, t, r, cat);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }

    private static Decision<Reply> Create(Call<GetOrCreateCustomerParams> call, TenantId t, GetOrCreateCustomerParams r, Catalog cat)
    {
        var now = call.Clock.Now;
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
            Grants.Attach(w, cat, plan, null, new Dictionary<string, decimal>(), now, call.Ids);
        }
        var reply = Reply.Ok(CustomerWire.ToWire(w, cat, t, now, CustomerRules.WantsEntities(r.Expand)), TallyJsonContext.Default.Customer);
        return Units.Commit(w, reply);
    }
}
