using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Api.Balances;

/// <summary>balances.track: deduct usage (or refund it) and record the event, atomically with its idempotency record.</summary>
internal static class Track
{
    /// <summary>A track body that passed the checks needing no state, and the id its event will carry.</summary>
    public readonly record struct Command(TrackParams Request, string EventId);

    public static Task<Reply> Handle(Call<TrackParams> call)
    {
        var r = call.Request;
        if (CheckShape(call.Tenant, r) is { } error)
        {
            return Task.FromResult(error);
        }
        return r.Lock is { Enabled: true } ? HandleLockedAsync(call) : Run(call);
    }

    private static async Task<Reply> HandleLockedAsync(Call<TrackParams> call)
    {
        var r = call.Request;
        if (await call.Store.FindLockOwnerAsync(call.Tenant, r.Lock!.LockId, call.Ct).ConfigureAwait(false) is not null)
        {
            // The lock of a retried request exists because the original succeeded.
            return await call.EarlierAnswerAsync(call.Idempotency(r.IdempotencyKey, r.CustomerId)).ConfigureAwait(false)
                ?? Errors.Conflict(call.Tenant, ErrorCodes.LockAlreadyExists, $"Lock {r.Lock.LockId} already exists");
        }
        return await Run(call).ConfigureAwait(false);
    }

    // The catalog is read once, by the unit: the features are resolved inside it.
    private static Task<Reply> Run(Call<TrackParams> call)
    {
        var r = call.Request;
        return CustomerUnit.RunRawAsync(call, r.CustomerId, new Command(r, call.Ids.NewId("evt_")), Decide,
            call.Idempotency(r.IdempotencyKey, r.CustomerId));
    }

    /// <summary>Checks what a track body says on its own; the 4xx that names what is wrong, or null.</summary>
    public static Reply? CheckShape(TenantId t, TrackParams r, string prefix = "")
    {
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return Errors.Invalid(t, $"{prefix}customer_id: must be a non-empty string");
        }
        if ((r.FeatureId is null) == (r.EventName is null))
        {
            return Errors.Invalid(t, $"{prefix}feature_id, event_name: exactly one of them must be provided");
        }
        if (r.EventName is { Length: 0 } || r.FeatureId is { Length: 0 })
        {
            return Errors.Invalid(t, $"{prefix}{(r.FeatureId is null ? "event_name" : "feature_id")}: must not be empty");
        }
        if (ParseBehavior(r.OverageBehavior) is null)
        {
            return Errors.Invalid(t, $"{prefix}overage_behavior: must be one of cap, reject, overflow");
        }
        if (Limits.Quantity(t, $"{prefix}value", r.Value) is { } tooLarge)
        {
            return tooLarge;
        }
        if (r.Timestamp is <= 0)
        {
            return Errors.Invalid(t, $"{prefix}timestamp: must be a positive number of milliseconds");
        }
        if (r.Properties is { } p && p.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null))
        {
            return Errors.Invalid(t, $"{prefix}properties: must be an object");
        }
        return null;
    }

    /// <summary>The features a track charges (one for feature_id, every listing feature for event_name), or its 404.</summary>
    public static (IReadOnlyList<Feature>? Features, Reply? Error) Resolve(TenantId t, TrackParams r, Catalog catalog)
    {
        if (r.FeatureId is { } fid)
        {
            return catalog.Feature(fid) is { } f ? ([f], null) : (null, Errors.FeatureNotFound(t, fid));
        }
        var fanOut = catalog.FeaturesForEvent(r.EventName!);
        return fanOut.Count > 0
            ? (fanOut, null)
            : (null, Reply.Error(404, ErrorCodes.InvalidRequest, $"No features found for event name: {r.EventName}", t));
    }

    public static OverageBehavior? ParseBehavior(string? value) => value switch
    {
        null or "cap" => OverageBehavior.Cap,
        "reject" => OverageBehavior.Reject,
        "overflow" => OverageBehavior.Overflow,
        _ => null,
    };

    /// <summary>The decision: a track body (shape already checked) against the customer's state, at the customer's now.</summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Command cmd, UnitContext u)
    {
        var t = u.Tenant;
        var r = cmd.Request;
        var (features, featureError) = Resolve(t, r, cat);
        if (featureError is not null)
        {
            return UnitContext.Fail(featureError);
        }
        if (state is null)
        {
            return UnitContext.Fail(Errors.CustomerNotFound(t, r.CustomerId));
        }
        if (r.Timestamp is { } ts && ts > BalanceWire.Ms(u.Now))
        {
            return UnitContext.Fail(Errors.Invalid(t, "timestamp: cannot be in the future"));
        }
        var (lockRequest, lockError) = LockRequest.Parse(t, r.Lock, features![0], r.EventName is not null, u.Now);
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
        var (reply, applied) = Apply(t, r, features, w, cat, u.Now, cmd.EventId, lockRequest);
        return applied ? UnitContext.Commit(w, reply) : UnitContext.Fail(reply);
    }

    /// <summary>Runs one track on a working state and builds its wire answer.</summary>
    private static (Reply Reply, bool Applied) Apply(TenantId t, TrackParams r, IReadOnlyList<Feature> features, Working w, Catalog cat,
        DateTimeOffset now, string eventId, LockRequest? lockRequest)
    {
        var (cmd, outcome) = Deduct(r, features, w, cat, now, eventId);
        if (outcome.Status == TrackStatus.UsageLimitExceeded)
        {
            return (Reply.Error(400, ErrorCodes.UsageLimitExceeded,
                $"Usage limit reached for feature {outcome.ShortFeatureId}: the current window has no room for {cmd.Value}", t), false);
        }
        if (outcome.Status == TrackStatus.InsufficientBalance)
        {
            return (Reply.Error(400, ErrorCodes.InsufficientBalance,
                $"Insufficient balance to deduct {cmd.Value} from feature {outcome.ShortFeatureId}", t), false);
        }
        if (lockRequest is not null)
        {
            Locks.Hold(w, lockRequest.LockId, features[0].Id, r.EntityId, cmd.Value, lockRequest.ExpiresAt, outcome.Event!.Deltas, now, usageRecorded: true);
        }
        var (balance, map) = Metering.TrackBalances(w, cat, cmd, outcome, now);
        var deductions = outcome.Event!.Deltas
            .GroupBy(d => d.SourceId)
            .Select(g => BalanceWire.ToWire(g.First() with { Value = g.Sum(d => d.Value) }))
            .ToList();
        // A BalancesTrackResponse, written from the balances directly so a stack of grants costs copies, not JSON.
        var body = BalanceJson.Track(r.CustomerId, r.EntityId, r.EventName, cmd.Value, balance, map.Count >= 2 ? map : null, deductions);
        return (new Reply(200, body), true);
    }

    /// <summary>
    /// The deduction alone (batch_track needs no per-item answer), charging <paramref name="features"/> as resolved
    /// from <paramref name="cat"/>. A rejected track leaves the working state as it was: the engine decides every
    /// feature before it writes any.
    /// </summary>
    public static (TrackCommand Command, TrackOutcome Outcome) Deduct(TrackParams r, IReadOnlyList<Feature> features, Working w, Catalog cat,
        DateTimeOffset now, string eventId)
    {
        var cmd = new TrackCommand
        {
            Features = features,
            LedgerName = r.FeatureId ?? r.EventName!,
            ByEventName = r.EventName is not null,
            EntityId = r.EntityId,
            Value = r.Value ?? 1m,
            Behavior = ParseBehavior(r.OverageBehavior)!.Value,
            PropertiesJson = r.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } p ? p.GetRawText() : "{}",
            Timestamp = r.Timestamp is { } ts ? DateTimeOffset.FromUnixTimeMilliseconds(ts) : now,
            IdempotencyKey = r.IdempotencyKey,
            EventId = eventId,
        };
        return (cmd, Metering.Track(w, cat, cmd, now));
    }
}
