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
    public static async Task<Reply> Handle(Call<TrackParams> call)
    {
        var t = call.Tenant;
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        var (features, error) = Validate(t, call.Request, catalog);
        if (error is not null)
        {
            return error;
        }
        var r = call.Request;
        if (r.Lock is { Enabled: true } l && await call.Store.FindLockOwnerAsync(t, l.LockId, call.Ct).ConfigureAwait(false) is not null)
        {
            // The lock of a retried request exists because the original succeeded.
            return await call.EarlierAnswerAsync(call.Idempotency(r.IdempotencyKey, r.CustomerId)).ConfigureAwait(false)
                ?? Errors.Conflict(t, ErrorCodes.LockAlreadyExists, $"Lock {l.LockId} already exists");
        }
        var eventId = call.Ids.NewId("evt_");
        var result = await call.Store.MutateCustomerAsync(t, r.CustomerId,
            (state, cat) => Decide(call, features!, state, cat, eventId),
            call.Idempotency(r.IdempotencyKey, r.CustomerId), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }

    /// <summary>Checks a track body; returns the features it charges, or the 4xx that names what is wrong.</summary>
    public static (IReadOnlyList<Feature>? Features, Reply? Error) Validate(TenantId t, TrackParams r, Catalog catalog, string prefix = "")
    {
        if (string.IsNullOrWhiteSpace(r.CustomerId))
        {
            return (null, Errors.Invalid(t, $"{prefix}customer_id: must be a non-empty string"));
        }
        if ((r.FeatureId is null) == (r.EventName is null))
        {
            return (null, Errors.Invalid(t, $"{prefix}feature_id, event_name: exactly one of them must be provided"));
        }
        if (r.EventName is { Length: 0 } || r.FeatureId is { Length: 0 })
        {
            return (null, Errors.Invalid(t, $"{prefix}{(r.FeatureId is null ? "event_name" : "feature_id")}: must not be empty"));
        }
        if (ParseBehavior(r.OverageBehavior) is null)
        {
            return (null, Errors.Invalid(t, $"{prefix}overage_behavior: must be one of cap, reject, overflow"));
        }
        if (Limits.Quantity(t, $"{prefix}value", r.Value) is { } tooLarge)
        {
            return (null, tooLarge);
        }
        if (r.Timestamp is <= 0)
        {
            return (null, Errors.Invalid(t, $"{prefix}timestamp: must be a positive number of milliseconds"));
        }
        if (r.Properties is { } p && p.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null))
        {
            return (null, Errors.Invalid(t, $"{prefix}properties: must be an object"));
        }
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

    public static Decision<Reply> Decide(Call<TrackParams> call, IReadOnlyList<Feature> features, CustomerState? state, Catalog cat,
        string eventId)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (state is null)
        {
            return Units.Fail(Errors.CustomerNotFound(t, r.CustomerId));
        }
        var now = call.Clock.NowFor(state.Customer);
        if (r.Timestamp is { } ts && ts > BalanceWire.Ms(now))
        {
            return Units.Fail(Errors.Invalid(t, "timestamp: cannot be in the future"));
        }
        var (lockRequest, lockError) = LockRequest.Parse(t, r.Lock, features[0], r.EventName is not null, now);
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
        var (reply, applied) = Apply(t, r, features, w, cat, now, eventId, lockRequest);
        return applied ? Units.Commit(w, reply) : Units.Fail(reply);
    }

    /// <summary>Runs one track on a working state and builds its wire answer.</summary>
    public static (Reply Reply, bool Applied) Apply(TenantId t, TrackParams r, IReadOnlyList<Feature> features, Working w, Catalog cat,
        DateTimeOffset now, string eventId, LockRequest? lockRequest = null)
    {
        var (cmd, outcome) = Deduct(r, features, w, cat, now, eventId);
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
        var response = new BalancesTrackResponse
        {
            CustomerId = r.CustomerId,
            EntityId = r.EntityId,
            EventName = r.EventName,
            Value = cmd.Value,
            Balance = balance.ToWire(),
            Balances = map.Count >= 2 ? map.ToDictionary(m => m.FeatureId, m => m.Balance.ToWire()) : null,
            Deductions = outcome.Event!.Deltas
                .GroupBy(d => d.SourceId)
                .Select(g => BalanceWire.ToWire(g.First() with { Value = g.Sum(d => d.Value) }))
                .ToList(),
        };
        return (Reply.Ok(response, TallyJsonContext.Default.BalancesTrackResponse), true);
    }

    /// <summary>
    /// The deduction alone (batch_track needs no per-item answer). A rejected track leaves the working state as it
    /// was: the engine decides every feature before it writes any.
    /// </summary>
    public static (TrackCommand Command, TrackOutcome Outcome) Deduct(TrackParams r, IReadOnlyList<Feature> features, Working w, Catalog cat,
        DateTimeOffset now, string eventId)
    {
        var cmd = new TrackCommand
        {
            Features = features.Select(f => cat.Feature(f.Id) ?? f).ToList(),
            EventName = r.FeatureId ?? r.EventName!,
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
