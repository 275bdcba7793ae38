using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Http;

namespace Tally.Server.Api.Billing;

/// <summary>Reads <c>carry_over_usages</c> / <c>carry_over_balances</c> of an attach, with Autumn's checks.</summary>
internal static class AttachCarryOver
{
    /// <summary>The features the carry-over covers, or null when it is off (absent or <c>enabled: false</c>).</summary>
    public static (CarryOverScope? Scope, Reply? Error) Scope(TenantId t, CarryOver? carry, string field, Catalog catalog)
    {
        if (carry is not { Enabled: true })
        {
            return (null, null);
        }
        if (carry.FeatureIds is not { Count: > 0 } ids)
        {
            return (new CarryOverScope(), null);
        }
        for (var i = 0; i < ids.Count; i++)
        {
            if (catalog.Feature(ids[i] ?? "") is not { } feature)
            {
                return (null, Reply.Error(404, ErrorCodes.FeatureNotFound, $"Feature {ids[i]} not found ({field}.feature_ids[{i}])", t));
            }
            if (feature.Type == FeatureType.Boolean)
            {
                return (null, Errors.Invalid(t, $"{field}.feature_ids[{i}]: {feature.Id} is a boolean feature and has no consumable balance"));
            }
            if (feature.IsContinuous)
            {
                return (null, Errors.Invalid(t, $"{field}.feature_ids[{i}]: {feature.Id} is a non-consumable feature and has no consumable balance"));
            }
        }
        return (new CarryOverScope(new HashSet<string>(ids, StringComparer.Ordinal)), null);
    }
}
