using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Api.Plans;
using Tally.Server.Http;

using Plan = Tally.Core.Domain.Plan;

namespace Tally.Server.Api.Billing;

/// <summary>
/// Reads <c>customize</c> (attach, preview_attach, update) into the items and base price one attachment uses instead
/// of its catalog version's, checked by the same rules as <c>plans.create</c>. The catalog plan is never changed.
/// </summary>
internal static class AttachCustomize
{
    /// <summary>The plan as this customer gets it, and the customization the attachment records (null when none).</summary>
    public static (Plan Plan, PlanCustomization? Custom, Reply? Error) Apply(TenantId t, PlanCustomize? c, Plan plan, Catalog catalog)
    {
        if (c is null)
        {
            return (plan, null, null);
        }
        // Per-customer billing controls and licenses are not something Tally keeps per attachment: refused, not dropped.
        if ((Given(c.BillingControls, "customize.billing_controls") ?? Given(c.UpsertLicenses, "customize.upsert_licenses")
            ?? Given(c.RemoveLicenses, "customize.remove_licenses")) is { } unsupported)
        {
            return (plan, null, Errors.Invalid(t, $"{unsupported}: not supported by Tally"));
        }
        if (c.Items is not null && (c.AddItems is not null || c.RemoveItems is not null))
        {
            return (plan, null, Errors.Invalid(t, "customize.items: cannot be combined with add_items or remove_items"));
        }
        var price = plan.Price;
        if (c.PriceSpecified)
        {
            var (parsed, priceError) = PlanRules.Price(t, c.Price, "customize.price");
            if (priceError is not null)
            {
                return (plan, null, priceError);
            }
            price = parsed;
        }
        var items = plan.Items.ToList();
        if (c.Items is not null)
        {
            var (replaced, error) = PlanRules.Items(t, c.Items, catalog, "customize.items");
            if (error is not null)
            {
                return (plan, null, error);
            }
            items = replaced!;
        }
        for (var i = 0; i < (c.RemoveItems?.Count ?? 0); i++)
        {
            var f = c.RemoveItems![i];
            var at = $"customize.remove_items[{i}]";
            if (f is null || (f.FeatureId, f.BillingMethod, f.Interval, f.IntervalCount) is (null, null, null, null))
            {
                return (plan, null, Errors.Invalid(t, $"{at}: give at least one of feature_id, billing_method, interval, interval_count"));
            }
            if (f.BillingMethod is not (null or "prepaid" or "usage_based"))
            {
                return (plan, null, Errors.Invalid(t, $"{at}.billing_method: must be prepaid or usage_based"));
            }
            // A filter that matches nothing is almost certainly a typo: a 400 rather than a customization that did nothing.
            if (items.RemoveAll(item => Matches(item, f)) == 0)
            {
                return (plan, null, Errors.Invalid(t, $"{at}: matches no item of plan {plan.Id}"));
            }
        }
        if (c.AddItems is not null)
        {
            var (added, error) = PlanRules.Items(t, c.AddItems, catalog, "customize.add_items");
            if (error is not null)
            {
                return (plan, null, error);
            }
            for (var i = 0; i < added!.Count; i++)
            {
                var a = added[i];
                if (items.Any(item => SameSlot(item, a)))
                {
                    return (plan, null, Errors.Invalid(t,
                        $"customize.add_items[{i}]: plan {plan.Id} already has an item of feature {a.FeatureId} with the same reset interval and entity_feature_id"));
                }
                items.Add(a);
            }
        }
        var custom = new PlanCustomization { Items = items, Price = price };
        return (plan with { Items = items, Price = price }, custom, null);
    }

    // Autumn's filter: every given field must match; interval matches the price's billing interval or the reset's.
    private static bool Matches(Core.Domain.PlanItem item, PlanItemFilter f) =>
        (f.FeatureId is null || item.FeatureId == f.FeatureId)
        && (f.BillingMethod is null || item.Price is { } p && (p.BillingMethod == BillingMethod.Prepaid ? "prepaid" : "usage_based") == f.BillingMethod)
        && (f.Interval is null || item.Price?.Interval?.ToWire() == f.Interval || item.Reset?.Interval.ToWire() == f.Interval)
        && (f.IntervalCount is null || (item.Price?.IntervalCount ?? item.Reset?.IntervalCount ?? 1) == f.IntervalCount);

    private static bool SameSlot(Core.Domain.PlanItem a, Core.Domain.PlanItem b) =>
        a.FeatureId == b.FeatureId && a.Reset?.Interval == b.Reset?.Interval && (a.Reset?.IntervalCount ?? 1) == (b.Reset?.IntervalCount ?? 1)
        && a.EntityFeatureId == b.EntityFeatureId;

    private static string? Given(System.Text.Json.JsonElement? e, string field) => e is { } v && v.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined => false,
        System.Text.Json.JsonValueKind.Array => v.GetArrayLength() > 0,
        System.Text.Json.JsonValueKind.Object => v.EnumerateObject().Any(),
        _ => true,
    } ? field : null;
}
