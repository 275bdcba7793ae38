using Tally.Contracts;
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
        if (r.BillingControls is { } b && b.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return Errors.Invalid(t, "billing_controls: must be an object");
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
        var result = await call.Store.MutateCustomerAsync(t, id, (state, cat) =>
        {
            if (state is null)
            {
                return Units.Fail(Errors.CustomerNotFound(t, id));
            }
            var c = state.Customer;
            var updated = c with
            {
                Id = id,
                Name = r.NameSpecified ? r.Name : c.Name,
                Email = r.EmailSpecified ? r.Email : c.Email,
                Fingerprint = r.FingerprintSpecified ? r.Fingerprint : c.Fingerprint,
                StripeId = r.StripeIdSpecified ? r.StripeId : c.StripeId,
                MetadataJson = r.MetadataSpecified ? Json.Raw(r.Metadata) ?? "{}" : c.MetadataJson,
                BillingControlsJson = Json.Raw(r.BillingControls) ?? c.BillingControlsJson,
                SendEmailReceipts = r.SendEmailReceipts ?? c.SendEmailReceipts,
            };
            var now = call.Clock.NowFor(updated);
            var w = Units.Begin(call, state, cat, now);
            w.SetCustomer(updated);
            var reply = Reply.Ok(CustomerWire.ToWire(w, cat, t, now, false), TallyJsonContext.Default.Customer);
            return Units.Commit(w, reply);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}

internal static class DeleteCustomer
{
    public static async Task<Reply> Handle(Call<DeleteCustomerParams> call)
    {
        var t = call.Tenant;
        var id = call.Request.CustomerId;
        if (string.IsNullOrEmpty(id))
        {
            return Errors.Invalid(t, "customer_id: must be a non-empty string");
        }
        var result = await call.Store.MutateCustomerAsync(t, id, (state, _) =>
        {
            if (state is null)
            {
                return Units.Fail(Errors.CustomerNotFound(t, id));
            }
            var w = new Core.Engine.Working(state);
            w.DeleteCustomer();
            return Units.Commit(w, Reply.Success);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
