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
    public static async Task<Reply> Handle(Call<CheckParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return Errors.Invalid(t, "customer_id: must be a non-empty string");
        }
        if (string.IsNullOrWhiteSpace(r.FeatureId))
        {
            return Errors.Invalid(t, "feature_id: must be a non-empty string");
        }
        if (Limits.Quantity(t, "required_balance", r.RequiredBalance) is { } tooLarge)
        {
            return tooLarge;
        }
        if (catalog.Feature(r.FeatureId) is not { } feature)
        {
            return Errors.FeatureNotFound(t, r.FeatureId);
        }
        if (r.Lock is { Enabled: true } l && await call.Store.FindLockOwnerAsync(t, l.LockId, call.Ct).ConfigureAwait(false) is not null)
        {
            // The lock of a retried request exists because the original succeeded.
            return await call.EarlierAnswerAsync(call.Idempotency()).ConfigureAwait(false)
                ?? Errors.Conflict(t, ErrorCodes.LockAlreadyExists, $"Lock {l.LockId} already exists");
        }
        var sendEvent = r.SendEvent == true || r.Lock is { Enabled: true };
        if (sendEvent && feature.Type == FeatureType.Boolean)
        {
            return Errors.BadRequest(t, $"send_event: not allowed on boolean feature {feature.Id}");
        }
        var eventId = call.Ids.NewId("evt_");
        var result = await call.Store.MutateCustomerAsync(t, r.CustomerId,
            (state, cat) => Decide(call, state, cat, eventId, sendEvent),
            sendEvent ? call.Idempotency() : null, call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }

    private static Decision<Reply> Decide(Call<CheckParams> call, CustomerState? state, Catalog cat, string eventId, bool sendEvent)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (state is null)
        {
            return Units.Fail(Errors.CustomerNotFound(t, r.CustomerId));
        }
        if (cat.Feature(r.FeatureId) is not { } feature)
        {
            return Units.Fail(Errors.FeatureNotFound(t, r.FeatureId));
        }
        var now = call.Clock.NowFor(state.Customer);
        var (lockRequest, lockError) = LockRequest.Parse(t, r.Lock, feature, false, now);
        if (lockError is not null)
        {
            return Units.Fail(lockError);
        }
        var w = Units.Begin(call, state, cat, now);
        if (r.EntityId is { } eid && w.Entity(eid) is null)
        {
            return Units.Fail(Errors.EntityNotFound(t, eid));
        }
        if (lockRequest is not null && w.Lock(lockRequest.LockId) is not null)
        {
            return Units.Fail(Errors.Conflict(t, ErrorCodes.LockAlreadyExists, $"Lock {lockRequest.LockId} already exists"));
        }
        var required = r.RequiredBalance ?? 1m;
        var consume = sendEvent
            ? new TrackCommand
            {
                Features = [feature],
                EventName = feature.Id,
                EntityId = r.EntityId,
                Value = required,
                Behavior = OverageBehavior.Reject,
                PropertiesJson = r.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } p ? p.GetRawText() : "{}",
                Timestamp = now,
                EventId = eventId,
                // A lock only reserves: its usage is recorded when the lock is confirmed.
                Kind = lockRequest is null ? LedgerKind.Track : LedgerKind.Lock,
            }
            : null;
        var outcome = Metering.Check(w, cat, feature, r.EntityId, required, now, consume);
        Dictionary<string, Balance?>? balances = null;
        if (outcome.Consumed is { Status: TrackStatus.Applied } consumed)
        {
            if (lockRequest is not null)
            {
                Locks.Hold(w, lockRequest.LockId, feature.Id, r.EntityId, required, lockRequest.ExpiresAt, consumed.Event!.Deltas, now, usageRecorded: false);
            }
            var (_, map) = Metering.TrackBalances(w, cat, consume!, consumed, now);
            balances = map.ToDictionary(m => m.FeatureId, m => m.Balance.ToWire());
        }
        var response = new CheckResponse
        {
            Allowed = outcome.Allowed,
            CustomerId = r.CustomerId,
            EntityId = r.EntityId,
            RequiredBalance = outcome.RequiredBalance,
            Balance = outcome.Balance.ToWire(),
            Balances = balances,
            Flag = outcome.Flag is { } f ? BalanceWire.ToFlag(f) : null,
        };
        var reply = Reply.Ok(response, TallyJsonContext.Default.CheckResponse);
        return outcome.Consumed is { Status: TrackStatus.Applied } ? Units.Commit(w, reply) : Units.Answer(w, reply);
    }
}
