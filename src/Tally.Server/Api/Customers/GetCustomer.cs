using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Customers;

/// <summary>customers.get: the customer as it stands at its own now (settling what time made due).</summary>
internal static class GetCustomer
{
    public static async Task<Reply> Handle(Call<GetCustomerParams> call)
    {
        var r = call.Request;
        if (string.IsNullOrEmpty(r.CustomerId))
        {
            return Errors.Invalid(call.Tenant, "customer_id: must be a non-empty string");
        }
        return await CustomerUnit.RunAsync(call, r.CustomerId, CustomerRules.WantsEntities(r.Expand), Decide, null).ConfigureAwait(false);
    }

    /// <summary>The decision: the customer's wire shape, with its entities when asked for.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, bool withEntities, UnitContext u) =>
        UnitContext.Answer(w, Reply.Ok(CustomerWire.ToWire(w, cat, u.Tenant, u.Now, withEntities), TallyJsonContext.Default.Customer));
}
