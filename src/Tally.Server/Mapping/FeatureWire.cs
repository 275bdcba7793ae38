using Tally.Core.Domain;
using W = Tally.Contracts;

namespace Tally.Server.Mapping;

/// <summary>Core features in their wire shape.</summary>
public static class FeatureWire
{
    public static string TypeName(FeatureType t) => t switch
    {
        FeatureType.Boolean => "boolean",
        FeatureType.CreditSystem => "credit_system",
        _ => "metered",
    };

    public static W.Feature ToWire(this Feature f) => new()
    {
        Id = f.Id,
        Name = f.Name,
        Type = TypeName(f.Type),
        Consumable = f.Type == FeatureType.CreditSystem || (f.Type == FeatureType.Metered && f.Consumable),
        EventNames = f.EventNames.ToList(),
        CreditSchema = f.Type == FeatureType.CreditSystem
            ? f.CreditSchema.Select(c => new W.CreditSchemaItem { MeteredFeatureId = c.MeteredFeatureId, CreditCost = c.CreditCost }).ToList()
            : null,
        Display = f.DisplaySingular is null && f.DisplayPlural is null
            ? null
            : new W.FeatureDisplay { Singular = f.DisplaySingular ?? "", Plural = f.DisplayPlural ?? "" },
        Archived = f.Archived,
    };
}
