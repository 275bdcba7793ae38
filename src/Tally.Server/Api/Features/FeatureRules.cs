using System.Text.RegularExpressions;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api.Features;

/// <summary>Validation shared by features.create and features.update (autumn-api.md §3.2).</summary>
internal static partial class FeatureRules
{
    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    public static partial Regex IdPattern();

    public static FeatureType? ParseType(string? type) => type switch
    {
        "boolean" => FeatureType.Boolean,
        "metered" => FeatureType.Metered,
        "credit_system" => FeatureType.CreditSystem,
        _ => null,
    };

    /// <summary>Checks a complete feature against the catalog; null when valid.</summary>
    public static Reply? Check(TenantId t, Core.Domain.Feature f, Catalog catalog, bool consumableGiven)
    {
        if (!IdPattern().IsMatch(f.Id))
        {
            return Errors.Invalid(t, "feature_id: may only contain letters, digits, '_' and '-'");
        }
        if (string.IsNullOrWhiteSpace(f.Name))
        {
            return Errors.Invalid(t, "name: must be a non-empty string");
        }
        if (f.Type == FeatureType.Metered && !consumableGiven)
        {
            return Errors.Invalid(t, "consumable: required for a metered feature (true: resets like messages; false: persists like seats)");
        }
        if (f.Type == FeatureType.CreditSystem)
        {
            if (f.CreditSchema.Count == 0)
            {
                return Errors.Invalid(t, "credit_schema: required for a credit_system feature");
            }
            for (var i = 0; i < f.CreditSchema.Count; i++)
            {
                var entry = f.CreditSchema[i];
                var target = catalog.Feature(entry.MeteredFeatureId);
                if (target is null)
                {
                    return Errors.FeatureNotFound(t, entry.MeteredFeatureId);
                }
                if (target.Type != FeatureType.Metered || !target.Consumable)
                {
                    return Errors.Invalid(t, $"credit_schema[{i}].metered_feature_id: {entry.MeteredFeatureId} must be a consumable metered feature");
                }
                if (entry.CreditCost <= 0)
                {
                    return Errors.Invalid(t, $"credit_schema[{i}].credit_cost: must be greater than 0");
                }
            }
            if (f.CreditSchema.Select(c => c.MeteredFeatureId).Distinct(StringComparer.Ordinal).Count() != f.CreditSchema.Count)
            {
                return Errors.Invalid(t, "credit_schema: lists a feature twice");
            }
        }
        else if (f.CreditSchema.Count > 0)
        {
            return Errors.Invalid(t, "credit_schema: only allowed on a credit_system feature");
        }
        for (var i = 0; i < f.EventNames.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(f.EventNames[i]))
            {
                return Errors.Invalid(t, $"event_names[{i}]: must be a non-empty string");
            }
        }
        return null;
    }

    /// <summary>
    /// The AI-token markup field set on a features.create/update body, or null: markups only price
    /// balances.track_tokens, which Tally does not serve, so they are refused rather than stored and ignored.
    /// </summary>
    public static string? UnsupportedMarkup(System.Text.Json.JsonElement? modelMarkups, decimal? defaultMarkup, System.Text.Json.JsonElement? providerMarkups) =>
        modelMarkups is { ValueKind: not System.Text.Json.JsonValueKind.Null } ? "model_markups"
        : defaultMarkup is not null ? "default_markup"
        : providerMarkups is { ValueKind: not System.Text.Json.JsonValueKind.Null } ? "provider_markups"
        : null;

    /// <summary>Reads a wire credit schema; tiered schemas are refused with a clear 400.</summary>
    public static (List<CreditSchemaEntry>? Schema, Reply? Error) Schema(TenantId t, List<CreditSchemaItem>? items)
    {
        var list = new List<CreditSchemaEntry>();
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var item = items![i];
            if (item.Tiers is not null || item.TierBehavior is not null || item.Dimensions is not null || item.Multipliers is not null)
            {
                return (null, Errors.Invalid(t, $"credit_schema[{i}]: tiered credit schemas are not supported; give a flat credit_cost"));
            }
            if (item.BillingUnits is { } units && units != 1m)
            {
                return (null, Errors.Invalid(t, $"credit_schema[{i}].billing_units: not supported by Tally"));
            }
            if (string.IsNullOrWhiteSpace(item.MeteredFeatureId))
            {
                return (null, Errors.Invalid(t, $"credit_schema[{i}].metered_feature_id: required"));
            }
            if (item.CreditCost is not { } cost)
            {
                return (null, Errors.Invalid(t, $"credit_schema[{i}].credit_cost: required"));
            }
            if (cost > Limits.MaxCreditCost)
            {
                return (null, Errors.Invalid(t, $"credit_schema[{i}].credit_cost: must be at most 1e9"));
            }
            list.Add(new CreditSchemaEntry(item.MeteredFeatureId, cost));
        }
        return (list, null);
    }
}
