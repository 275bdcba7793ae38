using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Customers;

/// <summary>customers.delete: removes the customer and everything it owns.</summary>
internal static class DeleteCustomer
{
    public static async Task<Reply> Handle(Call<DeleteCustomerParams> call)
    {
        var id = call.Request.CustomerId;
        if (string.IsNullOrEmpty(id))
        {
            return Errors.Invalid(call.Tenant, "customer_id: must be a non-empty string");
        }
        return await CustomerUnit.RunRawAsync(call, id, id, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The decision: deletes the customer as loaded (nothing is settled first: it all goes).</summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, string customerId, UnitContext u)
    {
        if (state is null)
        {
            return UnitContext.Fail(Errors.CustomerNotFound(u.Tenant, customerId));
        }
        var w = new Working(state);
        w.DeleteCustomer();
        return UnitContext.Commit(w, Reply.Success);
    }
}
