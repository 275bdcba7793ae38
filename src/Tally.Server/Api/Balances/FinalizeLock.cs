using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Http;

namespace Tally.Server.Api.Balances;

/// <summary>
/// balances.finalize: confirm a lock (optionally settling to override_value: less gives back to the very sources it
/// took from, more is drawn through the waterfall) or release it. A lock is finalized once; a second finalize is 409.
/// </summary>
internal static class FinalizeLock
{
    public static async Task<Reply> Handle(Call<FinalizeLockParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.Action is not ("confirm" or "release"))
        {
            return Errors.Invalid(t, "action: must be confirm or release");
        }
        if (Limits.Quantity(t, "override_value", r.OverrideValue) is { } tooLarge)
        {
            return tooLarge;
        }
        if (r.Action == "release" && r.OverrideValue is not null)
        {
            return Errors.Invalid(t, "override_value: not allowed with release");
        }
        if (r.Properties is { } p && p.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null))
        {
            return Errors.Invalid(t, "properties: must be an object");
        }
        var notFound = Errors.BadRequest(t, $"Lock not found for ID: {r.LockId}");
        if (await call.Store.FindLockOwnerAsync(t, r.LockId, call.Ct).ConfigureAwait(false) is not { } customerId)
        {
            return notFound;
        }
        var eventId = call.Ids.NewId("evt_");
        var result = await call.Store.MutateCustomerAsync(t, customerId, (state, cat) =>
        {
            if (state is null)
            {
                return Units.Fail(notFound);
            }
            var now = call.Clock.NowFor(state.Customer);
            var w = Units.Begin(call, state, cat, now);
            if (w.Lock(r.LockId) is not { } held)
            {
                // Settling may just have released an expired lock: that is an answer too.
                return state.FindLock(r.LockId) is null ? Units.Fail(notFound) : Units.Answer(w, AlreadyFinalized(t, r.LockId));
            }
            var status = r.Action == "release"
                ? Locks.Release(w, cat, held, now, call.Ids)
                : Locks.Confirm(w, cat, held, r.OverrideValue, now, call.Ids, eventId,
                    r.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } props ? props.GetRawText() : "{}");
            return status == FinalizeStatus.NotPending ? Units.Answer(w, AlreadyFinalized(t, r.LockId)) : Units.Commit(w, Reply.Success);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }

    private static Reply AlreadyFinalized(TenantId t, string lockId) =>
        Reply.Error(409, "lock_already_finalized", $"Lock {lockId} was already confirmed, released or expired", t);
}
