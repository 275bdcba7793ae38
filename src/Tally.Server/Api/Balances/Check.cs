using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Balances;

/// <summary>
/// balances.check: a reject-mode dry run of the track waterfall decides <c>allowed</c>; with send_event the same
/// run is applied, all or nothing, and an event is recorded only when it was allowed.
/// </summary>
internal static class Check
{
    /// <summary>A check body that passed the checks needing no state, and the id its event would carry.</summary>
    public readonly record struct Command(CheckParams Request, string EventId)
    {
        /// <summary>A lock always records (a reservation); otherwise only send_event does.</summary>
        public bool SendEvent => Request.SendEvent == true || Request.Lock is { Enabled: true };
    }

    public static Task<Reply> Handle(Call<CheckParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return Task.FromResult(Errors.Invalid(t, "customer_id: must be a non-empty string"));
        }
        if (string.IsNullOrWhiteSpace(r.FeatureId))
        {
            return Task.FromResult(Errors.Invalid(t, "feature_id: must be a non-empty string"));
        }
        if (Limits.Quantity(t, "required_balance", r.RequiredBalance) is { } tooLarge)
        {
            return Task.FromResult(tooLarge);
        }
        return r.Lock is { Enabled: true } ? HandleLockedAsync(call) : Run(call);
    }

    private static async Task<Reply> HandleLockedAsync(Call<CheckParams> call)
    {
        var l = call.Request.Lock!;
        if (await call.Store.FindLockOwnerAsync(call.Tenant, l.LockId, call.Ct).ConfigureAwait(false) is not null)
        {
            // The lock of a retried request exists because the original succeeded.
            return await call.EarlierAnswerAsync(call.Idempotency()).ConfigureAwait(false)
                ?? Errors.Conflict(call.Tenant, ErrorCodes.LockAlreadyExists, $"Lock {l.LockId} already exists");
        }
        return await Run(call).ConfigureAwait(false);
    }

    // The catalog is read once, by the unit: the feature is resolved inside it.
    private static Task<Reply> Run(Call<CheckParams> call)
    {
        var cmd = new Command(call.Request, call.Ids.NewId("evt_"));
        return CustomerUnit.RunRawAsync(call, call.Request.CustomerId, cmd, Decide, cmd.SendEvent ? call.Idempotency() : null);
    }

    /// <summary>The decision: a check body (shape already checked) against the customer's state, at the customer's now.</summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Command cmd, UnitContext u)
    {
        var t = u.Tenant;
        var r = cmd.Request;
        var sendEvent = cmd.SendEvent;
        if (cat.Feature(r.FeatureId) is not { } feature)
        {
            return UnitContext.Fail(Errors.FeatureNotFound(t, r.FeatureId));
        }
        if (sendEvent && feature.Type == FeatureType.Boolean)
        {
            return UnitContext.Fail(Errors.BadRequest(t, $"send_event: not allowed on boolean feature {feature.Id}"));
        }
        if (state is null)
        {
            return UnitContext.Fail(Errors.CustomerNotFound(t, r.CustomerId));
        }
        var now = u.Now;
        var (lockRequest, lockError) = LockRequest.Parse(t, r.Lock, feature, false, now);
        if (lockError is not null)
        {
            return UnitContext.Fail(lockError);
        }
        var w = u.Open(state, cat);
        if (r.EntityId is { } eid && w.Entity(eid) is null)
        {
            return UnitContext.Fail(Errors.EntityNotFound(t, eid));
        }
        if (lockRequest is not null && w.Lock(lockRequest.LockId) is not null)
        {
            return UnitContext.Fail(Errors.Conflict(t, ErrorCodes.LockAlreadyExists, $"Lock {lockRequest.LockId} already exists"));
        }
        var required = r.RequiredBalance ?? 1m;
        var consume = sendEvent
            ? new TrackCommand
            {
                Features = [feature],
                LedgerName = feature.Id,
                EntityId = r.EntityId,
                Value = required,
                Behavior = OverageBehavior.Reject,
                PropertiesJson = r.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } p ? p.GetRawText() : "{}",
                Timestamp = now,
                EventId = cmd.EventId,
                // A lock only reserves: its usage is recorded when the lock is confirmed.
                Kind = lockRequest is null ? LedgerKind.Track : LedgerKind.Lock,
            }
            : null;
        var outcome = Metering.Check(w, cat, feature, r.EntityId, required, now, consume);
        IReadOnlyList<(string FeatureId, BalanceSummary? Balance)>? balances = null;
        if (outcome.Consumed is { Status: TrackStatus.Applied } consumed)
        {
            if (lockRequest is not null)
            {
                Locks.Hold(w, lockRequest.LockId, feature.Id, r.EntityId, required, lockRequest.ExpiresAt, consumed.Event!.Deltas, now, usageRecorded: false);
            }
            (_, balances) = Metering.TrackBalances(w, cat, consume!, consumed, now);
        }
        // A CheckResponse, written from the balances directly so a stack of grants costs copies, not JSON.
        var body = BalanceJson.Check(outcome.Allowed, r.CustomerId, r.EntityId, outcome.RequiredBalance, outcome.Balance, balances,
            outcome.Flag is { } f ? BalanceWire.ToFlag(f) : null,
            r.WithPreview == true && !outcome.Allowed ? UnlockPreview.For(w, cat, feature, outcome.Balance is not null, t) : null);
        var reply = new Reply(200, body);
        return outcome.Consumed is { Status: TrackStatus.Applied } ? UnitContext.Commit(w, reply) : UnitContext.Answer(w, reply);
    }
}
