using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Api.Customers;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Entities;

/// <summary>entities.update: the entity's billing controls.</summary>
internal static class UpdateEntity
{
    public static async Task<Reply> Handle(Call<UpdateEntityParams> call)
    {
        var r = call.Request;
        if (ControlRules.Validate(call.Tenant, r.BillingControls) is { } badControls)
        {
            return badControls;
        }
        var (customerId, error) = await EntityOwner.ResolveAsync(call, r.EntityId, r.CustomerId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        return await CustomerUnit.RunAsync(call, customerId!, r, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The decision: the body's billing controls merge into the entity's, key by key.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, UpdateEntityParams r, UnitContext u)
    {
        if (w.Entity(r.EntityId) is not { } e)
        {
            return UnitContext.Fail(Errors.EntityNotFound(u.Tenant, r.EntityId));
        }
        var updated = e with { BillingControlsJson = ControlRules.Merge(e.BillingControlsJson, r.BillingControls) };
        w.Put(updated);
        var reply = Reply.Ok(CustomerWire.ToWire(w, cat, u.Tenant, updated, u.Now), TallyJsonContext.Default.EntityResponse);
        return UnitContext.Commit(w, reply);
    }
}
