namespace Tally.Core.Domain;

public enum FeatureType
{
    Boolean,
    Metered,
    CreditSystem,
}

public sealed record CreditSchemaEntry(string MeteredFeatureId, decimal CreditCost);

public sealed record Feature
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required FeatureType Type { get; init; }

    /// <summary>Consumable (single use, resets) versus continuous (seats, storage; never resets).</summary>
    public bool Consumable { get; init; }
    public bool Archived { get; init; }
    public IReadOnlyList<string> EventNames { get; init; } = [];
    public IReadOnlyList<CreditSchemaEntry> CreditSchema { get; init; } = [];
    public string? DisplaySingular { get; init; }
    public string? DisplayPlural { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public bool IsContinuous => Type == FeatureType.Metered && !Consumable;

    public decimal? CreditCostOf(string meteredFeatureId)
    {
        foreach (var entry in CreditSchema)
        {
            if (entry.MeteredFeatureId == meteredFeatureId)
            {
                return entry.CreditCost;
            }
        }
        return null;
    }
}
