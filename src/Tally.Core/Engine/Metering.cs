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
        var results = new List<FeatureDeduction>();
        var deltas = new List<SourceDelta>();
        // Every feature is decided before any is written, so a rejected feature leaves the working state untouched
        // even when an earlier feature of the same event name fitted.
        var pending = new PendingBalances();
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
            var candidates = Waterfall.Candidates(w, catalog, f.Id, cmd.EntityId, now);
            candidates.RemoveAll(c => pending.Drained(c.Source));
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
        return new TrackOutcome(TrackStatus.Applied, results, evt, null)
        {
            TouchedSources = deltas.Select(d => d.SourceId).ToHashSet(StringComparer.Ordinal),
        };
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
        var map = new List<(string, BalanceSummary?)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in cmd.Features)
        {
            if (seen.Add(f.Id)) map.Add((f.Id, BalanceView.For(w, catalog, f.Id, cmd.EntityId, now, keep)));
            foreach (var cs in catalog.CreditSystemsContaining(f.Id))
            {
                if (seen.Add(cs.Id)) map.Add((cs.Id, BalanceView.For(w, catalog, cs.Id, cmd.EntityId, now, keep)));
            }
        }
        BalanceSummary? Lookup(string id) => map.First(m => m.Item1 == id).Item2;
        var deducted = outcome.Deductions.SelectMany(d => d.Deltas).Where(d => d.Value != 0).Select(d => d.FeatureId)
            .ToHashSet(StringComparer.Ordinal);
        // Each tracked feature answers with the balance it was charged through; an event fanned out to several
        // features answers with the one balance the customer actually holds, or null when it holds several or none.
        var shown = cmd.Features.Select(f => ShownFor(f, catalog, deducted, Lookup)).Where(b => b.Balance is not null)
            .DistinctBy(b => b.Id, StringComparer.Ordinal).ToList();
        return (shown.Count == 1 ? shown[0].Balance : null, map);
    }

    /// <summary>
    /// The balance one tracked feature shows: an unlimited one among the feature and its credit systems, else the
    /// first of them (the feature before its systems) that was charged, else its first credit system, else itself.
    /// </summary>
    private static (string Id, BalanceSummary? Balance) ShownFor(Feature feature, Catalog catalog, IReadOnlySet<string> deducted,
        Func<string, BalanceSummary?> lookup)
    {
        List<string> relevant = [feature.Id, .. catalog.CreditSystemsContaining(feature.Id).Select(c => c.Id)];
        var id = relevant.FirstOrDefault(r => lookup(r)?.Unlimited == true)
            ?? relevant.FirstOrDefault(deducted.Contains)
            ?? (relevant.Count > 1 ? relevant[1] : relevant[0]);
        return (id, lookup(id));
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

        var candidates = Waterfall.Candidates(w, catalog, feature.Id, entityId, now);
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
            allowed = Waterfall.Run(w, catalog, feature.Id, candidates, required, OverageBehavior.Reject, now, dryRun: true,
                controls: controls).Satisfied;
        }
        // A full usage window denies whatever balance remains, the same test track makes under reject.
        if (allowed && controls is not null && required > 0
            && controls.WindowRoom(w, feature.Id, consume?.PropertiesJson ?? "{}", now) is { } room && room < required)
        {
            allowed = false;
        }

        var shown = ChooseShownFeature(w, catalog, feature, systems, candidates, entityId, required, now, controls);
        var cost = shown == feature.Id ? 1m : systems.First(s => s.Id == shown).CreditCostOf(feature.Id) ?? 1m;

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
        List<Candidate> candidates, string? entityId, decimal required, DateTimeOffset now, Controls? controls)
    {
        if (systems.Count == 0)
        {
            return feature.Id;
        }
        bool Owns(string fid) => candidates.Any(c => c.Source.FeatureId == fid);
        bool AllowsAlone(string fid)
        {
            var only = candidates.Where(c => c.Source.FeatureId == fid).ToList();
            if (only.Count == 0) return false;
            if (only[0].Source.Unlimited || required < 0) return true;
            return Waterfall.Run(w, catalog, feature.Id, only, required, OverageBehavior.Reject, now, dryRun: true, controls: controls).Satisfied;
        }
        if (AllowsAlone(feature.Id)) return feature.Id;
        foreach (var cs in systems)
        {
            if (AllowsAlone(cs.Id)) return cs.Id;
        }
        foreach (var cs in systems)
        {
            if (Owns(cs.Id)) return cs.Id;
        }
        return Owns(feature.Id) ? feature.Id : systems[0].Id;
    }
}
