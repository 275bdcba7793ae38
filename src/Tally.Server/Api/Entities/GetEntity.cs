using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Entities;

/// <summary>entities.get: one entity with its own balances, at its customer's now.</summary>
internal static class GetEntity
{
    public static async Task<Reply> Handle(Call<GetEntityParams> call)
    {
        var r = call.Request;
        var (customerId, error) = await EntityOwner.ResolveAsync(call, r.EntityId, r.CustomerId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        return await CustomerUnit.RunAsync(call, customerId!, r.EntityId, Decide, null).ConfigureAwait(false);
    }

    /// <summary>The decision: the entity's wire shape, or its 404.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, string entityId, UnitContext u) => w.Entity(entityId) is { } e
        ? UnitContext.Answer(w, Reply.Ok(CustomerWire.ToWire(w, cat, u.Tenant, e, u.Now), TallyJsonContext.Default.EntityResponse))
        : UnitContext.Fail(Errors.EntityNotFound(u.Tenant, entityId));
}
