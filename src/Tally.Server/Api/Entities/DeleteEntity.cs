using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Entities;

/// <summary>entities.delete: removes the entity and its own balances, and gives its seat back to the customer.</summary>
internal static class DeleteEntity
{
    public static async Task<Reply> Handle(Call<DeleteEntityParams> call)
    {
        var r = call.Request;
        var (customerId, error) = await EntityOwner.ResolveAsync(call, r.EntityId, r.CustomerId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        return await CustomerUnit.RunAsync(call, customerId!, r.EntityId, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The decision: deletes the entity at the customer's now, or answers its 404.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, string entityId, UnitContext u) =>
        Core.Engine.Entities.Delete(w, cat, entityId, u.Now, u.Ids) == EntityStatus.NotFound
            ? UnitContext.Fail(Errors.EntityNotFound(u.Tenant, entityId))
            : UnitContext.Commit(w, Reply.Success);
}
