namespace Tally.Core.Tests.Controls;

/// <summary>Scenario helpers for billing controls: set a subject's controls, track at a given moment.</summary>
internal static class ControlsKit
{
    public static void SetControls(this Scenario s, string json)
    {
        var changes = new CustomerChanges { Customer = s.State.Customer with { BillingControlsJson = json }, NextSeq = s.State.NextSeq };
        s.State.Apply(changes);
    }

    public static void AddEntity(this Scenario s, string id, string controlsJson)
    {
        var changes = new CustomerChanges { NextSeq = s.State.NextSeq };
        changes.UpsertEntities.Add(new Entity { Id = id, FeatureId = "seats", BillingControlsJson = controlsJson, CreatedAt = F.Epoch });
        s.State.Apply(changes);
    }

    /// <summary>Tracks at <paramref name="at"/> and commits; returns the outcome and what the unit changed.</summary>
    public static (TrackOutcome Outcome, CustomerChanges Changes) TrackAt(this Scenario s, DateTimeOffset at, string featureId, decimal value,
        OverageBehavior behavior = OverageBehavior.Cap, string? entityId = null, string properties = "{}")
    {
        var w = s.Open();
        var cmd = s.Command(featureId, value, behavior, entityId) with { PropertiesJson = properties, Timestamp = at };
        var outcome = Metering.Track(w, s.Catalog, cmd, at);
        var changes = w.ToChanges();
        s.State.Apply(changes);
        return (outcome, changes);
    }

    public static bool CheckAt(this Scenario s, DateTimeOffset at, string featureId, decimal required, string? entityId = null) =>
        Metering.Check(s.Open(), s.Catalog, s.Feature(featureId), entityId, required, at).Allowed;

    public static decimal Applied(this TrackOutcome o) => o.Deductions.Sum(d => d.Applied);
}
