using System.Text.Json;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Mapping;

using W = Tally.Contracts;

namespace Tally.Server.Api.Balances;

/// <summary>
/// The <c>preview</c> of a denied balances.check asked <c>with_preview</c>: what would unlock the feature, from the
/// catalog, as Autumn computes it. Upgrades are the main plans granting the feature that cost more than the
/// customer's dearest main plan (every main plan granting it when the customer has none); add-ons are those granting
/// it the customer does not have yet. Products are in Autumn's product shape; cheaper first.
/// </summary>
internal static class UnlockPreview
{
    /// <summary>The preview for <paramref name="feature"/>; <paramref name="hasBalance"/> is whether the customer holds it at all.</summary>
    public static W.CheckPreview For(Working w, Catalog cat, Feature feature, bool hasBalance, TenantId t)
    {
        var owned = w.Plans().Where(p => p.Status == AttachmentStatus.Active).Select(p => p.PlanId).ToHashSet(StringComparer.Ordinal);
        var grants = cat.LatestPlans.Where(p => !p.Archived && p.Items.Any(i => i.FeatureId == feature.Id))
            .OrderBy(Price).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
        var ownedMain = cat.LatestPlans.Where(p => !p.AddOn && owned.Contains(p.Id)).ToList();
        var floor = ownedMain.Count > 0 ? ownedMain.Max(Price) : (decimal?)null;
        var main = grants.Where(p => !p.AddOn && !owned.Contains(p.Id) && (floor is null || Price(p) > floor)).ToList();
        var addOns = grants.Where(p => p.AddOn && (!p.IsRecurring || !owned.Contains(p.Id))).ToList();
        var usageLimit = hasBalance;
        var next = main.FirstOrDefault() ?? addOns.FirstOrDefault();
        return new W.CheckPreview
        {
            Scenario = usageLimit ? "usage_limit" : "feature_flag",
            Title = next is null ? "Feature Unavailable"
                : next.FreeTrialJson is not null ? $"Start trial for {next.Name}"
                : !next.AddOn ? $"Upgrade to {next.Name}" : $"Purchase {next.Name}",
            Message = Message(feature, usageLimit, main, addOns),
            FeatureId = feature.Id,
            FeatureName = feature.Name,
            Products = [.. main.Concat(addOns).Select(p => Product(p, cat, t))],
        };
    }

    private static decimal Price(Plan p) => p.Price?.Amount ?? 0m;

    private static string Message(Feature feature, bool usageLimit, List<Plan> main, List<Plan> addOns)
    {
        if (main.Count == 0 && addOns.Count == 0)
        {
            return usageLimit
                ? $"You have reached the usage limit for {feature.Name}. Please contact us to increase your limit."
                : $"{feature.Name} is not available for your account. Please contact us to enable it.";
        }
        var head = usageLimit
            ? $"You have reached the usage limit for {feature.Name.ToLowerInvariant()}."
            : $"Your current plan does not include the {feature.Name} feature.";
        var use = usageLimit ? "continue using" : "use";
        var tail = main.Count > 0
            ? $"Please upgrade to {main[0].Name} to {use} this feature." + (addOns.Count > 0 ? $" Alternatively, you can purchase the {addOns[0].Name} add on." : "")
            : $"Please purchase the {addOns[0].Name} add on to {use} this feature.";
        return $"{head} {tail}";
    }

    /// <summary>A plan in Autumn's (v1) product shape, the one the SDK reads in a check preview.</summary>
    private static JsonElement Product(Plan p, Catalog cat, TenantId t)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer))
        {
            j.WriteStartObject();
            j.WriteString("id", p.Id);
            j.WriteString("name", p.Name);
            j.WriteString("group", p.Group);
            j.WriteString("env", t.EnvName);
            j.WriteBoolean("is_add_on", p.AddOn);
            j.WriteBoolean("is_default", p.AutoEnable);
            j.WriteBoolean("archived", p.Archived);
            j.WriteNumber("version", p.Version);
            j.WriteNumber("created_at", BalanceWire.Ms(p.CreatedAt));
            j.WriteStartArray("items");
            if (p.Price is { } price)
            {
                j.WriteStartObject();
                j.WriteString("type", "price");
                j.WriteNumber("price", price.Amount);
                Interval(j, price.Interval, price.IntervalCount);
                j.WriteEndObject();
            }
            foreach (var item in p.Items)
            {
                j.WriteStartObject();
                j.WriteString("type", item.Price is null ? "feature" : "priced_feature");
                j.WriteString("feature_id", item.FeatureId);
                j.WriteString("feature_type", cat.Feature(item.FeatureId) is { } f ? FeatureType(f) : null);
                if (item.Unlimited)
                {
                    j.WriteString("included_usage", "inf");
                }
                else
                {
                    j.WriteNumber("included_usage", item.Included);
                }
                if (item.Reset is { } reset)
                {
                    Interval(j, reset.Interval, reset.IntervalCount);
                }
                if (item.Price is { } ip)
                {
                    if (ip.Amount is { } amount)
                    {
                        j.WriteNumber("price", amount);
                    }
                    j.WriteString("usage_model", ip.BillingMethod == BillingMethod.Prepaid ? "prepaid" : "pay_per_use");
                    j.WriteNumber("billing_units", ip.BillingUnits);
                }
                j.WriteString("entity_feature_id", item.EntityFeatureId);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            // Tally's trial shape is not Autumn's product trial; the title above already says a trial starts.
            j.WriteNull("free_trial");
            j.WriteNull("base_variant_id");
            j.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    // Autumn's product items name no interval for a one-off grant.
    private static void Interval(Utf8JsonWriter j, ResetInterval interval, int count)
    {
        if (interval == ResetInterval.OneOff)
        {
            j.WriteNull("interval");
            return;
        }
        j.WriteString("interval", interval.ToWire());
        j.WriteNumber("interval_count", count);
    }

    private static string FeatureType(Feature f) => f.Type switch
    {
        Core.Domain.FeatureType.Boolean => "static",
        Core.Domain.FeatureType.CreditSystem => "single_use",
        _ => f.Consumable ? "single_use" : "continuous_use",
    };
}
