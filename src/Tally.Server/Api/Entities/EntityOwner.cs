using Tally.Server.Http;

namespace Tally.Server.Api.Entities;

/// <summary>Finds the customer owning an entity when the caller did not name it.</summary>
internal static class EntityOwner
{
    public static async Task<(string? CustomerId, Reply? Error)> ResolveAsync<T>(Call<T> call, string entityId, string? customerId)
    {
        if (customerId is not null)
        {
            return (customerId, null);
        }
        var owners = await call.Store.FindEntityOwnersAsync(call.Tenant, entityId, call.Ct).ConfigureAwait(false);
        // A retried entities.delete no longer finds its entity: answer it from the key if it has one.
        if (owners.Count == 0 && await call.EarlierAnswerAsync(call.Idempotency()).ConfigureAwait(false) is { } earlier)
        {
            return (null, earlier);
        }
        return owners.Count switch
        {
            0 => (null, Errors.EntityNotFound(call.Tenant, entityId)),
            1 => (owners[0], null),
            _ => (null, Errors.Invalid(call.Tenant, $"customer_id: required, entity {entityId} exists under several customers")),
        };
    }
}
