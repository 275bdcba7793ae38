using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;
using Tally.Server.Mapping;

using PlanPrice = Tally.Core.Domain.PlanPrice;

using PriceTier = Tally.Core.Domain.PriceTier;

namespace Tally.Server.Api.Plans;

/// <summary>Reads and validates plan bodies (autumn-api.md §3.3) into Core plans.</summary>
internal static class PlanRules
{
    private static readonly ResetInterval[] PriceIntervals =
        [ResetInterval.OneOff, ResetInterval.Week, ResetInterval.Month, ResetInterval.Quarter, ResetInterval.SemiAnnual, ResetInterval.Year];

    public static (PlanPrice? Price, Reply? Error) Price(TenantId t, Contracts.PlanPrice? p, string at = "price")
    {
        if (p is null)
        {
            return (null, null);
        }
        if (!ResetIntervals.TryParse(p.Interval, out var iv) || !PriceIntervals.Contains(iv))
        {
            return (null, Errors.Invalid(t, $"{at}.interval: must be one of one_off, week, month, quarter, semi_annual, year"));
        }
        if (p.Amount < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.amount: must not be negative"));
        }
        if (p.IntervalCount is < 1)
        {
            return (null, Errors.Invalid(t, $"{at}.interval_count: must be at least 1"));
        }
        if (Limits.Count(t, $"{at}.interval_count", p.IntervalCount) is { } tooMany)
        {
            return (null, tooMany);
        }
        return (new PlanPrice(p.Amount, iv, p.IntervalCount ?? 1), null);
    }

    public static (List<Core.Domain.PlanItem>? Items, Reply? Error) Items(TenantId t, List<Contracts.PlanItem>? items, Catalog catalog,
        string at = "items")
    {
        var list = new List<Core.Domain.PlanItem>();
        // Two items of one feature conflict only when reset interval, interval count and entity_feature_id all match
        // (as in Autumn): per-seat and customer-level allowances of one feature may live side by side.
        var seen = new HashSet<(string, string?, int, string?)>();
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var (item, error) = Item(t, items![i], catalog, $"{at}[{i}]");
            if (error is not null)
            {
                return (null, error);
            }
            if (!seen.Add((item!.FeatureId, item.Reset?.Interval.ToWire(), item.Reset?.IntervalCount ?? 1, item.EntityFeatureId)))
            {
                return (null, Errors.Invalid(t, $"{at}[{i}]: feature {item.FeatureId} appears twice with the same reset interval and entity_feature_id"));
            }
            list.Add(item);
        }
        return (list, null);
    }

    /// <summary>
    /// The first item field of Autumn's schema that Tally cannot honour (pooled balances, payment-provider proration,
    /// item expiry, threshold billing, feature overrides), so it is refused rather than silently dropped; null when
    /// none is set. An explicit <c>pooled: false</c> and a JSON null are what Tally does anyway.
    /// </summary>
    public static string? UnsupportedItemField(Contracts.PlanItem w) =>
        w.Pooled == true ? "pooled"
        : Given(w.Proration) ? "proration"
        : Given(w.Expiry) ? "expiry"
        : Given(w.ThresholdBilling) ? "threshold_billing"
        : Given(w.FeatureOverride) ? "feature_override"
        : null;

    /// <summary>
    /// The first plan-level field of Autumn's schema Tally cannot honour (licenses, variants and their parents, a
    /// migration of existing customers); null when none is set. An empty list asks for nothing and passes.
    /// </summary>
    public static string? UnsupportedPlanField(System.Text.Json.JsonElement? licenses, System.Text.Json.JsonElement? variants = null,
        System.Text.Json.JsonElement? licenseParents = null, System.Text.Json.JsonElement? migration = null) =>
        Given(licenses) ? "licenses"
        : Given(variants) ? "variants"
        : Given(licenseParents) ? "update_license_parents"
        : Given(migration) ? "migration"
        : null;

    private static bool Given(System.Text.Json.JsonElement? e) => e is { } v && v.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined => false,
        System.Text.Json.JsonValueKind.Array => v.GetArrayLength() > 0,
        System.Text.Json.JsonValueKind.Object => v.EnumerateObject().Any(),
        _ => true,
    };

    private static (Core.Domain.PlanItem? Item, Reply? Error) Item(TenantId t, Contracts.PlanItem w, Catalog catalog, string at)
    {
        if (w is null || string.IsNullOrWhiteSpace(w.FeatureId))
        {
            return (null, Errors.Invalid(t, $"{at}.feature_id: required"));
        }
        if (catalog.Feature(w.FeatureId) is not { } feature)
        {
            return (null, Reply.Error(404, ErrorCodes.FeatureNotFound, $"Feature {w.FeatureId} not found ({at}.feature_id)", t));
        }
        if (UnsupportedItemField(w) is { } field)
        {
            return (null, Errors.Invalid(t, $"{at}.{field}: not supported by Tally"));
        }
        if (w.Included is < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.included: must not be negative"));
        }
        if (Limits.First(Limits.Quantity(t, $"{at}.included", w.Included), Limits.Count(t, $"{at}.reset.interval_count", w.Reset?.IntervalCount),
                Limits.Count(t, $"{at}.price.interval_count", w.Price?.IntervalCount), Limits.Quantity(t, $"{at}.price.billing_units", w.Price?.BillingUnits),
                Limits.Quantity(t, $"{at}.price.max_purchase", w.Price?.MaxPurchase), Limits.Quantity(t, $"{at}.rollover.max", w.Rollover?.Max),
                Limits.Count(t, $"{at}.rollover.expiry_duration_length", w.Rollover?.ExpiryDurationLength)) is { } outOfRange)
        {
            return (null, outOfRange);
        }
        var unlimited = w.Unlimited == true;
        if (feature.Type == FeatureType.Boolean && (w.Included is > 0 || unlimited || w.Price is not null || w.Reset is not null || w.Rollover is not null))
        {
            return (null, Errors.Invalid(t, $"{at}: a boolean feature takes no included, unlimited, reset, price or rollover"));
        }
        var (reset, resetError) = ItemReset(t, w.Reset, feature, at);
        if (resetError is not null)
        {
            return (null, resetError);
        }
        var (price, priceError) = ItemPrice(t, w.Price, at);
        if (priceError is not null)
        {
            return (null, priceError);
        }
        var (rollover, rolloverError) = ItemRollover(t, w.Rollover, reset, at);
        if (rolloverError is not null)
        {
            return (null, rolloverError);
        }
        if (w.EntityFeatureId is { } ef && catalog.Feature(ef) is not { IsContinuous: true })
        {
            return (null, Errors.Invalid(t, $"{at}.entity_feature_id: {ef} must be an existing continuous-use (non-consumable) feature"));
        }
        return (new Core.Domain.PlanItem
        {
            FeatureId = feature.Id,
            Included = unlimited ? 0 : w.Included ?? 0,
            Unlimited = unlimited,
            Reset = reset,
            Price = price,
            Rollover = rollover,
            EntityFeatureId = w.EntityFeatureId,
        }, null);
    }

    private static (ItemReset? Reset, Reply? Error) ItemReset(TenantId t, Contracts.PlanItemReset? r, Core.Domain.Feature feature, string at)
    {
        if (r is null)
        {
            return (null, null);
        }
        if (!ResetIntervals.TryParse(r.Interval, out var iv))
        {
            return (null, Errors.Invalid(t, $"{at}.reset.interval: must be one of {Balances.Subject.Intervals}"));
        }
        if (r.IntervalCount is < 1)
        {
            return (null, Errors.Invalid(t, $"{at}.reset.interval_count: must be at least 1"));
        }
        if (feature.IsContinuous && iv != ResetInterval.OneOff)
        {
            return (null, Errors.Invalid(t, $"{at}.reset: {feature.Id} is a continuous-use feature and never resets"));
        }
        return (new ItemReset(iv, r.IntervalCount ?? 1), null);
    }

    private static (ItemPrice? Price, Reply? Error) ItemPrice(TenantId t, Contracts.PlanItemPrice? p, string at)
    {
        if (p is null)
        {
            return (null, null);
        }
        var method = p.BillingMethod switch
        {
            "prepaid" => BillingMethod.Prepaid,
            "usage_based" or "" or null => BillingMethod.UsageBased,
            _ => (BillingMethod)(-1),
        };
        if ((int)method < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.price.billing_method: must be prepaid or usage_based"));
        }
        ResetInterval? interval = null;
        if (!string.IsNullOrEmpty(p.Interval))
        {
            if (!ResetIntervals.TryParse(p.Interval, out var parsed))
            {
                return (null, Errors.Invalid(t, $"{at}.price.interval: must be one of {Balances.Subject.Intervals}"));
            }
            interval = parsed;
        }
        if (p.BillingUnits is <= 0)
        {
            return (null, Errors.Invalid(t, $"{at}.price.billing_units: must be greater than 0"));
        }
        if (p.MaxPurchase is < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.price.max_purchase: must not be negative"));
        }
        if (p.Amount is < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.price.amount: must not be negative"));
        }
        if (p.Amount is not null && p.Tiers is { Count: > 0 })
        {
            return (null, Errors.Invalid(t, $"{at}.price: give amount or tiers, not both"));
        }
        var (tiers, tiersError) = Tiers(t, p.Tiers, at);
        if (tiersError is not null)
        {
            return (null, tiersError);
        }
        TierBehavior? behavior = p.TierBehavior switch
        {
            null => null,
            "graduated" => TierBehavior.Graduated,
            "volume" => TierBehavior.Volume,
            _ => (TierBehavior)(-1),
        };
        if (behavior is { } b && (int)b < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.price.tier_behavior: must be graduated or volume"));
        }
        return (new ItemPrice
        {
            Amount = p.Amount,
            Tiers = tiers!.Count > 0 ? tiers : null,
            TierBehavior = behavior,
            Interval = interval,
            IntervalCount = p.IntervalCount ?? 1,
            BillingUnits = p.BillingUnits ?? 1,
            BillingMethod = method,
            MaxPurchase = p.MaxPurchase,
        }, null);
    }

    private static (List<PriceTier>? Tiers, Reply? Error) Tiers(TenantId t, List<Contracts.PriceTier>? wire, string at)
    {
        var tiers = new List<PriceTier>();
        for (var k = 0; k < (wire?.Count ?? 0); k++)
        {
            var tier = wire![k];
            decimal? to = null;
            if (tier.To is { ValueKind: JsonValueKind.Number } n)
            {
                to = n.GetDecimal();
            }
            else if (tier.To is not { ValueKind: JsonValueKind.String } s || s.GetString() != "inf")
            {
                return (null, Errors.Invalid(t, $"{at}.price.tiers[{k}].to: must be a number or \"inf\""));
            }
            tiers.Add(new PriceTier(to, tier.Amount ?? 0, tier.FlatAmount));
        }
        return (tiers, null);
    }

    private static (RolloverConfig? Rollover, Reply? Error) ItemRollover(TenantId t, Contracts.PlanItemRollover? ro, ItemReset? reset, string at)
    {
        if (ro is null)
        {
            return (null, null);
        }
        if (reset is not { } rs || rs.Interval == ResetInterval.OneOff)
        {
            return (null, Errors.Invalid(t, $"{at}.rollover: needs a recurring reset"));
        }
        if (ro.ExpiryDurationType is not ("month" or "forever"))
        {
            return (null, Errors.Invalid(t, $"{at}.rollover.expiry_duration_type: must be month or forever"));
        }
        if (ro.Max is < 0 || ro.MaxPercentage is < 0 or > 100 || ro.ExpiryDurationLength is < 0)
        {
            return (null, Errors.Invalid(t, $"{at}.rollover: max, max_percentage (0-100) and expiry_duration_length must not be negative"));
        }
        return (new RolloverConfig
        {
            Max = ro.Max,
            MaxPercentage = ro.MaxPercentage,
            ExpiryType = ro.ExpiryDurationType == "forever" ? RolloverExpiry.Forever : RolloverExpiry.Month,
            ExpiryLength = ro.ExpiryDurationLength ?? 1,
        }, null);
    }

    public static string? Group(string? group) => string.IsNullOrEmpty(group) ? null : group;

    public static string Metadata(JsonElement? value, string fallback) => Json.Raw(value) ?? fallback;
}
