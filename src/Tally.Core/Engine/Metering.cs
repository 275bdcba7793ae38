using Tally.Core.Domain;

namespace Tally.Core.Engine;

public sealed record TrackCommand
{
    /// <summary>The features to charge: one for feature_id, every listing feature for event_name.</summary>
    public required IReadOnlyList<Feature> Features { get; init; }
    /// <summary>
    /// The name the ledger records the usage under: the event name when tracking by event name, else the feature id.
    /// </summary>
    public required string LedgerName { get; init; }
    public bool ByEventName { get; init; }
    public string? EntityId { get; init; }
    public decimal Value { get; init; } = 1;
    public OverageBehavior Behavior { get; init; } = OverageBehavior.Cap;
    public string PropertiesJson { get; init; } = "{}";
    public required DateTimeOffset Timestamp { get; init; }
    public string? IdempotencyKey { get; init; }
    public required string EventId { get; init; }

    /// <summary>Track for usage; Lock for a check that only reserves (its usage shows when confirmed).</summary>
    public LedgerKind Kind { get; init; } = LedgerKind.Track;
}

public enum TrackStatus
{
    Applied,
    InsufficientBalance,

    /// <summary>A usage limit's window is full (or, under reject, too full for the whole amount).</summary>
    UsageLimitExceeded,
}

public sealed record TrackOutcome(
    TrackStatus Status,
    IReadOnlyList<FeatureDeduction> Deductions,
    LedgerEvent? Event,
    string? ShortFeatureId)
{
    public IReadOnlySet<string> TouchedSources { get; init; } = new HashSet<string>();
}

public sealed record CheckOutcome(
    bool Allowed,
    string FeatureId,
    decimal RequiredBalance,
    BalanceSummary? Balance,
    BalanceSource? Flag,
    TrackOutcome? Consumed);

/// <summary>Track and check: one deduction, run for real or as a dry run, so they can never disagree.</summary>
public static class Metering
{
    /// <summary>
    /// Applies a track to the working state. Every feature of an event name is charged in the same unit,
    /// so under reject either all of them are charged or none.
    /// </summary>
    public static TrackOutcome Track(Working w, Catalog catalog, TrackCommand cmd, DateTimeOffset now)
    {
        var scratch = Scratch.Rent();
        try
        {
            return Track(w, catalog, cmd, now, scratch);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    private static TrackOutcome Track(Working w, Catalog catalog, TrackCommand cmd, DateTimeOffset now, Scratch scratch)
    {
        var results = new List<FeatureDeduction>();
        var deltas = new List<SourceDelta>();
        // Every feature is decided before any is written, so a rejected feature leaves the working state untouched
        // even when an earlier feature of the same event name fitted.
        var pending = scratch.Pending;
        var controls = Controls.Resolve(w, catalog, cmd.EntityId, now);
        foreach (var f in cmd.Features)
        {
            if (f.Type == FeatureType.Boolean)
            {
                continue;
            }
            var value = cmd.Value;
            if (controls is not null && value > 0 && cmd.Behavior is OverageBehavior.Cap or OverageBehavior.Reject
                && controls.WindowRoom(w, f.Id, cmd.PropertiesJson, now) is { } room && room < value)
            {
                if (room <= 0 || cmd.Behavior == OverageBehavior.Reject)
                {
                    return new TrackOutcome(TrackStatus.UsageLimitExceeded, results, null, f.Id);
                }
                value = room;
            }
            var candidates = Waterfall.Ordered(w, catalog, f.Id, cmd.EntityId, now, scratch.Candidates);
            if (pending.Sources.Count > 0)
            {
                var list = scratch.Candidates;
                if (!ReferenceEquals(candidates, list))
                {
                    list.Clear();
                    list.AddRange(candidates);
                }
                RemoveDrained(list, pending);
                candidates = list;
            }
            var d = Waterfall.Plan(w, catalog, f.Id, candidates, value, cmd.Behavior, now, pending, controls);
            if (Waterfall.IsRejected(d, cmd.Behavior))
            {
                return new TrackOutcome(TrackStatus.InsufficientBalance, results, null, f.Id);
            }
            results.Add(d);
            deltas.AddRange(d.Deltas);
        }
        ControlEffects.RaiseLimits(w, pending, controls, cmd.EntityId);
        if (controls is null)
        {
            pending.WriteTo(w);
        }
        else
        {
            ApplyControls(w, catalog, controls, cmd, results, pending, now);
        }
        var evt = new LedgerEvent
        {
            Id = cmd.EventId,
            Kind = cmd.Kind,
            CustomerId = w.Customer.Id,
            EntityId = cmd.EntityId,
            EventName = cmd.LedgerName,
            Value = cmd.Value,
            PropertiesJson = cmd.PropertiesJson,
            Timestamp = cmd.Timestamp,
            IdempotencyKey = cmd.IdempotencyKey,
            Deltas = deltas,
        };
        w.Append(evt);
        var touched = new HashSet<string>(deltas.Count, StringComparer.Ordinal);
        foreach (var d in deltas)
        {
            touched.Add(d.SourceId);
        }
        return new TrackOutcome(TrackStatus.Applied, results, evt, null) { TouchedSources = touched };
    }

    // A standalone grant an earlier feature of this request drained is skipped by the later ones.
    private static void RemoveDrained(List<Candidate> candidates, PendingBalances pending)
    {
        var kept = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!pending.Drained(candidates[i].Source))
            {
                candidates[kept++] = candidates[i];
            }
        }
        candidates.RemoveRange(kept, candidates.Count - kept);
    }

    // Writes the balances, counts the applied units into the usage windows and raises the alerts they crossed,
    // all inside the track's unit so that the next check sees exactly what this track left.
    private static void ApplyControls(Working w, Catalog catalog, Controls controls, TrackCommand cmd, List<FeatureDeduction> results,
        PendingBalances pending, DateTimeOffset now)
    {
        var before = new List<(string FeatureId, BalanceSummary? Balance)>();
        foreach (var d in results)
        {
            if (controls.AlertsFor(d.FeatureId).Any()) before.Add((d.FeatureId, BalanceView.For(w, catalog, d.FeatureId, cmd.EntityId, now)));
        }
        pending.WriteTo(w);
        foreach (var d in results)
        {
            controls.Count(w, d.FeatureId, cmd.PropertiesJson, d.Applied, now);
        }
        foreach (var (featureId, balance) in before)
        {
            ControlEffects.RaiseAlerts(w, controls, featureId, balance, BalanceView.For(w, catalog, featureId, cmd.EntityId, now));
        }
    }

    /// <summary>
    /// The balance a track response shows, and the map of every tracked feature and credit system
    /// (omitted by the caller when it has fewer than two entries).
    /// </summary>
    public static (BalanceSummary? Balance, IReadOnlyList<(string FeatureId, BalanceSummary? Balance)> Map) TrackBalances(
        Working w, Catalog catalog, TrackCommand cmd, TrackOutcome outcome, DateTimeOffset now)
    {
        var keep = outcome.TouchedSources;
        var map = new List<(string FeatureId, BalanceSummary? Balance)>();
        foreach (var f in cmd.Features)
        {
            if (IndexOf(map, f.Id) < 0) map.Add((f.Id, BalanceView.For(w, catalog, f.Id, cmd.EntityId, now, keep)));
            foreach (var cs in catalog.CreditSystemsContaining(f.Id))
            {
                if (IndexOf(map, cs.Id) < 0) map.Add((cs.Id, BalanceView.For(w, catalog, cs.Id, cmd.EntityId, now, keep)));
            }
        }
        // Each tracked feature answers with the balance it was charged through; an event fanned out to several
        // features answers with the one balance the customer actually holds, or null when it holds several or none.
        string? shownId = null;
        BalanceSummary? shown = null;
        foreach (var f in cmd.Features)
        {
            var id = ShownFor(f, catalog, outcome, map);
            if (map[IndexOf(map, id)].Balance is not { } balance) continue;
            if (shownId is null)
            {
                (shownId, shown) = (id, balance);
            }
            else if (shownId != id)
            {
                return (null, map);
            }
        }
        return (shown, map);
    }

    private static int IndexOf(List<(string FeatureId, BalanceSummary? Balance)> map, string id)
    {
        for (var i = 0; i < map.Count; i++)
        {
            if (map[i].FeatureId == id) return i;
        }
        return -1;
    }

    /// <summary>
    /// The balance one tracked feature shows: an unlimited one among the feature and its credit systems, else the
    /// first of them (the feature before its systems) that was charged, else its first credit system, else itself.
    /// </summary>
    private static string ShownFor(Feature feature, Catalog catalog, TrackOutcome outcome,
        List<(string FeatureId, BalanceSummary? Balance)> map)
    {
        var systems = catalog.CreditSystemsContaining(feature.Id);
        for (var i = -1; i < systems.Count; i++)
        {
            var id = i < 0 ? feature.Id : systems[i].Id;
            if (map[IndexOf(map, id)].Balance?.Unlimited == true) return id;
        }
        for (var i = -1; i < systems.Count; i++)
        {
            var id = i < 0 ? feature.Id : systems[i].Id;
            if (Deducted(outcome, id)) return id;
        }
        return systems.Count > 0 ? systems[0].Id : feature.Id;
    }

    private static bool Deducted(TrackOutcome outcome, string featureId)
    {
        foreach (var d in outcome.Deductions)
        {
            foreach (var delta in d.Deltas)
            {
                if (delta.Value != 0 && delta.FeatureId == featureId) return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Decides <c>allowed</c> by a reject-mode dry run of the same waterfall as track; with
    /// <paramref name="consume"/> the run is applied (send_event) when, and only when, it is allowed.
    /// </summary>
    public static CheckOutcome Check(Working w, Catalog catalog, Feature feature, string? entityId, decimal required,
        DateTimeOffset now, TrackCommand? consume = null)
    {
        if (feature.Type == FeatureType.Boolean)
        {
            var flag = BalanceView.Flag(w, feature.Id, entityId, now);
            return new CheckOutcome(flag is not null, feature.Id, required, null, flag, null);
        }

        var scratch = Scratch.Rent();
        try
        {
            return CheckMetered(w, catalog, feature, entityId, required, now, consume, scratch);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    private static CheckOutcome CheckMetered(Working w, Catalog catalog, Feature feature, string? entityId, decimal required,
        DateTimeOffset now, TrackCommand? consume, Scratch scratch)
    {
        var candidates = Waterfall.Ordered(w, catalog, feature.Id, entityId, now, scratch.Candidates);
        var systems = catalog.CreditSystemsContaining(feature.Id);
        var controls = Controls.Resolve(w, catalog, entityId, now);
        bool allowed;
        if (candidates.Count == 0)
        {
            allowed = false;
        }
        else if (candidates[0].Source.Unlimited || required < 0)
        {
            allowed = true;
        }
        else
        {
            allowed = Waterfall.Fits(w, catalog, candidates, required, now, controls);
        }
        // A full usage window denies whatever balance remains, the same test track makes under reject.
        if (allowed && controls is not null && required > 0
            && controls.WindowRoom(w, feature.Id, consume?.PropertiesJson ?? "{}", now) is { } room && room < required)
        {
            allowed = false;
        }

        var shown = ChooseShownFeature(w, catalog, feature, systems, candidates, scratch.Subset, required, now, controls);
        var cost = 1m;
        foreach (var s in systems)
        {
            if (s.Id == shown && shown != feature.Id)
            {
                cost = s.CreditCostOf(feature.Id) ?? 1m;
                break;
            }
        }

        TrackOutcome? consumed = null;
        IReadOnlySet<string>? keep = null;
        if (consume is not null && allowed && candidates.Count > 0)
        {
            consumed = Track(w, catalog, consume with { Behavior = OverageBehavior.Reject }, now);
            allowed = consumed.Status == TrackStatus.Applied;
            keep = consumed.TouchedSources;
        }
        var balance = BalanceView.For(w, catalog, shown, entityId, now, keep);
        return new CheckOutcome(allowed, shown, required * cost, balance, null, consumed);
    }

    private static string ChooseShownFeature(Working w, Catalog catalog, Feature feature, IReadOnlyList<Feature> systems,
        IReadOnlyList<Candidate> candidates, List<Candidate> only, decimal required, DateTimeOffset now, Controls? controls)
    {
        if (systems.Count == 0)
        {
            return feature.Id;
        }
        if (AllowsAlone(w, catalog, candidates, only, feature.Id, required, now, controls)) return feature.Id;
        foreach (var cs in systems)
        {
            if (AllowsAlone(w, catalog, candidates, only, cs.Id, required, now, controls)) return cs.Id;
        }
        foreach (var cs in systems)
        {
            if (Owns(candidates, cs.Id)) return cs.Id;
        }
        return Owns(candidates, feature.Id) ? feature.Id : systems[0].Id;
    }

    private static bool Owns(IReadOnlyList<Candidate> candidates, string featureId)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Source.FeatureId == featureId) return true;
        }
        return false;
    }

    // Would the feature's (or credit system's) own sources alone allow the check?
    private static bool AllowsAlone(Working w, Catalog catalog, IReadOnlyList<Candidate> candidates, List<Candidate> only,
        string featureId, decimal required, DateTimeOffset now, Controls? controls)
    {
        only.Clear();
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Source.FeatureId == featureId) only.Add(candidates[i]);
        }
        if (only.Count == 0) return false;
        if (only[0].Source.Unlimited || required < 0) return true;
        return Waterfall.Fits(w, catalog, only, required, now, controls);
    }
}
