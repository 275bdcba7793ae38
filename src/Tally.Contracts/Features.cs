using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>features.create</c>.</summary>
public sealed class CreateFeatureParams
{
    /// <summary>Id of the new feature.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Display name.</summary>
    [JsonRequired]
    public string Name { get; set; } = "";

    /// <summary>Feature type: <c>boolean</c>, <c>metered</c>, <c>credit_system</c> or <c>ai_credit_system</c>.</summary>
    [JsonRequired]
    public string Type { get; set; } = "";

    /// <summary>Whether usage is consumed (single use) rather than allocated (continuous use).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Consumable { get; set; }

    /// <summary>Singular and plural display names.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FeatureDisplay? Display { get; set; }

    /// <summary>Credit costs of metered features (credit systems only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CreditSchemaItem>? CreditSchema { get; set; }

    /// <summary>Event names that map to this feature.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? EventNames { get; set; }

    /// <summary>Per-model markups (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ModelMarkups { get; set; }

    /// <summary>Default markup percentage (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? DefaultMarkup { get; set; }

    /// <summary>Per-provider markups (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ProviderMarkups { get; set; }
}

/// <summary>Body of <c>features.get</c>.</summary>
public sealed class GetFeatureParams
{
    /// <summary>Id of the feature.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";
}

/// <summary>Body of <c>features.update</c>.</summary>
public sealed class UpdateFeatureParams
{
    /// <summary>Id of the feature to update.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>New id for the feature.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NewFeatureId { get; set; }

    /// <summary>New display name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; set; }

    /// <summary>New feature type.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; set; }

    /// <summary>New consumable flag.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Consumable { get; set; }

    /// <summary>New display names.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FeatureDisplay? Display { get; set; }

    /// <summary>New credit schema.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CreditSchemaItem>? CreditSchema { get; set; }

    /// <summary>New event names.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? EventNames { get; set; }

    /// <summary>Archive or unarchive the feature.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Archived { get; set; }

    /// <summary>Per-model markups (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ModelMarkups { get; set; }

    /// <summary>Default markup percentage (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? DefaultMarkup { get; set; }

    /// <summary>Per-provider markups (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ProviderMarkups { get; set; }
}

/// <summary>Body of <c>features.delete</c>.</summary>
public sealed class DeleteFeatureParams
{
    /// <summary>Id of the feature to delete.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";
}

/// <summary>A feature (response of <c>features.*</c>, items of <c>features.list</c>).</summary>
public sealed class Feature
{
    /// <summary>Feature id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Feature type: <c>boolean</c>, <c>metered</c>, <c>credit_system</c> or <c>ai_credit_system</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Whether usage is consumed (single use) rather than allocated (continuous use).</summary>
    public bool Consumable { get; set; }

    /// <summary>Event names that map to this feature.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? EventNames { get; set; }

    /// <summary>Credit costs of metered features (credit systems only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CreditSchemaItem>? CreditSchema { get; set; }

    /// <summary>Per-model markups (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ModelMarkups { get; set; }

    /// <summary>Default markup percentage (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? DefaultMarkup { get; set; }

    /// <summary>Per-provider markups (AI credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ProviderMarkups { get; set; }

    /// <summary>Singular and plural display names.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FeatureDisplay? Display { get; set; }

    /// <summary>Whether the feature is archived.</summary>
    public bool Archived { get; set; }
}

/// <summary>One entry of a credit system's schema (flat <c>credit_cost</c>, or graduated <c>tiers</c>).</summary>
public sealed class CreditSchemaItem
{
    /// <summary>Metered feature that draws from the credit system.</summary>
    [JsonRequired]
    public string MeteredFeatureId { get; set; } = "";

    /// <summary>Credits consumed per unit of the metered feature (flat variant).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? CreditCost { get; set; }

    /// <summary>Units per credit-cost step.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? BillingUnits { get; set; }

    /// <summary>Tier behaviour of the tiered variant (<c>graduated</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TierBehavior { get; set; }

    /// <summary>Credit-cost tiers (tiered variant).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CreditTier>? Tiers { get; set; }

    /// <summary>Property-matched cost dimensions (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Dimensions { get; set; }

    /// <summary>Property-matched cost multipliers (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Multipliers { get; set; }
}

/// <summary>One tier of a tiered credit schema entry.</summary>
public sealed class CreditTier
{
    /// <summary>Upper bound of the tier: a number or the string <c>"inf"</c>.</summary>
    [JsonRequired]
    public JsonElement? To { get; set; }

    /// <summary>Credits per unit within the tier.</summary>
    [JsonRequired]
    public decimal CreditCost { get; set; }
}

/// <summary>Singular and plural display names of a feature.</summary>
public sealed class FeatureDisplay
{
    /// <summary>Singular name, e.g. "message".</summary>
    [JsonRequired]
    public string Singular { get; set; } = "";

    /// <summary>Plural name, e.g. "messages".</summary>
    [JsonRequired]
    public string Plural { get; set; } = "";
}
