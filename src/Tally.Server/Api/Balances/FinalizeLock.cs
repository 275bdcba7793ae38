using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
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
        if (await call.Store.FindLockOwnerAsync(t, r.LockId, call.Ct).ConfigureAwait(false) is not { } customerId)
        {
            return NotFound(t, r.LockId);
        }
        var cmd = new Command(r, call.Ids.NewId("evt_"));
        return await CustomerUnit.RunRawAsync(call, customerId, cmd, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body (already checked) and the id a confirm's usage event carries.</summary>
    public readonly record struct Command(FinalizeLockParams Request, string EventId);

    /// <summary>
    /// The decision: confirms or releases the lock in the state of the customer that holds it (null when that
    /// customer was deleted since the lookup).
    /// </summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r, now) = (u.Tenant, cmd.Request, u.Now);
        if (state is null)
        {
            return UnitContext.Fail(NotFound(t, r.LockId));
        }
        var w = u.Open(state, cat);
        if (w.Lock(r.LockId) is not { } held)
        {
            // Settling may just have released an expired lock: that is an answer too.
            return state.FindLock(r.LockId) is null ? UnitContext.Fail(NotFound(t, r.LockId)) : UnitContext.Answer(w, AlreadyFinalized(t, r.LockId));
        }
        var status = r.Action == "release"
            ? Locks.Release(w, cat, held, now, u.Ids)
            : Locks.Confirm(w, cat, held, r.OverrideValue, now, u.Ids, cmd.EventId,
                r.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } props ? props.GetRawText() : "{}");
        return status == FinalizeStatus.NotPending ? UnitContext.Answer(w, AlreadyFinalized(t, r.LockId)) : UnitContext.Commit(w, Reply.Success);
    }

    private static Reply NotFound(TenantId t, string lockId) => Errors.BadRequest(t, $"Lock not found for ID: {lockId}");

    private static Reply AlreadyFinalized(TenantId t, string lockId) =>
        Reply.Error(409, "lock_already_finalized", $"Lock {lockId} was already confirmed, released or expired", t);
}
