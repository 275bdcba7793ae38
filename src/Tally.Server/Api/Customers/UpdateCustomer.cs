using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Customers;

/// <summary>customers.update: profile fields; new_customer_id moves the customer and everything it owns to a new id.</summary>
internal static class UpdateCustomer
{
    public static async Task<Reply> Handle(Call<UpdateCustomerParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.MetadataSpecified && r.Metadata is { } m && m.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null))
        {
            return Errors.Invalid(t, "metadata: must be an object");
        }
        if (ControlRules.Validate(t, r.BillingControls) is { } badControls)
        {
            return badControls;
        }
        var id = r.CustomerId;
        if (r.NewCustomerId is { } newId && newId != id)
        {
            // A retry of a rename would find the old id gone: answer it from the key first.
            if (await call.EarlierAnswerAsync(call.Idempotency()).ConfigureAwait(false) is { } earlier)
            {
                return earlier;
            }
            if (CustomerRules.CheckId(t, newId, "new_customer_id") is { } bad)
            {
                return bad;
            }
            switch (await call.Store.RenameCustomerAsync(t, id, newId, call.Ct).ConfigureAwait(false))
            {
                case RenameOutcome.NotFound:
                    return Errors.CustomerNotFound(t, id);
                case RenameOutcome.TargetExists:
                    return Errors.Conflict(t, ErrorCodes.CustomerAlreadyExists, $"Customer {newId} already exists");
            }
            id = newId;
        }
        return await CustomerUnit.RunAsync(call, id, new Command(r, id), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body and the id the customer has now (after a rename).</summary>
    public readonly record struct Command(UpdateCustomerParams Request, string CustomerId);

    /// <summary>The decision: the profile fields the body specifies replace the customer's; billing_controls merge per key.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Command cmd, UnitContext u)
    {
        var r = cmd.Request;
        var c = w.Base.Customer;
        var updated = c with
        {
            Id = cmd.CustomerId,
            Name = r.NameSpecified ? r.Name : c.Name,
            Email = r.EmailSpecified ? r.Email : c.Email,
            Fingerprint = r.FingerprintSpecified ? r.Fingerprint : c.Fingerprint,
            StripeId = r.StripeIdSpecified ? r.StripeId : c.StripeId,
            MetadataJson = r.MetadataSpecified ? Json.Raw(r.Metadata) ?? "{}" : c.MetadataJson,
            BillingControlsJson = ControlRules.Merge(c.BillingControlsJson, r.BillingControls),
            SendEmailReceipts = r.SendEmailReceipts ?? c.SendEmailReceipts,
        };
        w.SetCustomer(updated);
        var reply = Reply.Ok(CustomerWire.ToWire(w, cat, u.Tenant, u.Now, false), TallyJsonContext.Default.Customer);
        return UnitContext.Commit(w, reply);
    }
}
