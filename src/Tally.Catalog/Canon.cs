using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tally.Contracts;

namespace Tally.CatalogFile;

/// <summary>
/// The normal form a feature or plan is compared in: the server's defaults filled in, lists whose order means nothing
/// sorted, numbers without trailing zeros, and fields the server accepts but does not store left out (each reported
/// once as a warning). Two bodies with the same normal form make the same catalog entry, whatever their spelling.
/// </summary>
internal static class Canon
{
    public static JsonObject Feature(CreateFeatureParams f, List<string>? warnings = null)
    {
        var at = $"feature {f.FeatureId}";
        Unstored(warnings, at, ("model_markups", f.ModelMarkups), ("default_markup", f.DefaultMarkup), ("provider_markups", f.ProviderMarkups));
        var o = new JsonObject
        {
            ["feature_id"] = f.FeatureId,
            ["name"] = f.Name,
            ["type"] = f.Type,
            ["consumable"] = f.Type switch { "boolean" => false, "credit_system" => true, _ => f.Consumable ?? false },
            ["event_names"] = Array((f.EventNames ?? []).Order(StringComparer.Ordinal).Select(e => (JsonNode?)JsonValue.Create(e))),
        };
        if (f.CreditSchema is { Count: > 0 } schema)
        {
            o["credit_schema"] = Array(schema.OrderBy(c => c.MeteredFeatureId, StringComparer.Ordinal).Select(c =>
            {
                Unstored(warnings, $"{at} credit_schema {c.MeteredFeatureId}", ("billing_units", c.BillingUnits));
                return (JsonNode?)Obj(("metered_feature_id", c.MeteredFeatureId), ("credit_cost", Num(c.CreditCost)), ("tier_behavior", c.TierBehavior),
                    ("tiers", c.Tiers is null ? null : Array(c.Tiers.Select(t => (JsonNode?)Obj(("to", Free(t.To)), ("credit_cost", Num(t.CreditCost)))))),
                    ("dimensions", Free(c.Dimensions)), ("multipliers", Free(c.Multipliers)));
            }));
        }
        if (f.Display is { } d && (d.Singular.Length > 0 || d.Plural.Length > 0))
        {
            o["display"] = Obj(("singular", d.Singular), ("plural", d.Plural));
        }
        return o;
    }

    public static JsonObject Plan(CreatePlanParams p, List<string>? warnings = null)
    {
        var at = $"plan {p.PlanId}";
        Unstored(warnings, at, ("licenses", p.Licenses), ("create_in_stripe", p.CreateInStripe));
        var items = (p.Items ?? []).Select(i => Item(i, warnings, $"{at} item {i.FeatureId}"))
            .OrderBy(i => (string?)i["feature_id"], StringComparer.Ordinal)
            .ThenBy(i => (string?)i["reset"]?["interval"] ?? "", StringComparer.Ordinal);
        return Obj(
            ("plan_id", p.PlanId),
            ("name", p.Name),
            ("description", string.IsNullOrEmpty(p.Description) ? null : p.Description),
            ("group", string.IsNullOrEmpty(p.Group) ? null : p.Group),
            ("add_on", p.AddOn ?? false),
            ("auto_enable", p.AutoEnable ?? false),
            ("price", p.Price is { } price ? Obj(("amount", Num(price.Amount)), ("interval", price.Interval), ("interval_count", price.IntervalCount ?? 1)) : null),
            ("items", Array(items)),
            ("free_trial", p.FreeTrial is { } ft
                ? Obj(("duration_length", ft.DurationLength), ("duration_type", ft.DurationType), ("card_required", ft.CardRequired), ("on_end", ft.OnEnd))
                : null),
            ("config", Free(p.Config) ?? new JsonObject()),
            ("metadata", Free(p.Metadata) ?? new JsonObject()),
            // The server stores the plan's default controls as sent (merged per key), so the sent form compares as is.
            ("billing_controls", Free(p.BillingControls) ?? new JsonObject()));
    }

    private static JsonObject Item(PlanItem i, List<string>? warnings, string at)
    {
        Unstored(warnings, at, ("pooled", i.Pooled == true ? true : null), ("proration", i.Proration), ("expiry", i.Expiry),
            ("threshold_billing", i.ThresholdBilling), ("feature_override", i.FeatureOverride));
        var unlimited = i.Unlimited ?? false;
        JsonObject? price = null;
        if (i.Price is { } pr)
        {
            price = Obj(
                ("amount", Num(pr.Amount)),
                ("tiers", pr.Tiers is { Count: > 0 } tiers
                    ? Array(tiers.Select(t => (JsonNode?)Obj(("to", Free(t.To)), ("amount", Num(t.Amount ?? 0)), ("flat_amount", Num(t.FlatAmount)))))
                    : null),
                ("tier_behavior", pr.TierBehavior),
                ("interval", string.IsNullOrEmpty(pr.Interval) ? i.Reset?.Interval ?? "month" : pr.Interval),
                ("interval_count", pr.IntervalCount ?? 1),
                ("billing_units", Num(pr.BillingUnits ?? 1)),
                ("billing_method", string.IsNullOrEmpty(pr.BillingMethod) ? "usage_based" : pr.BillingMethod),
                ("max_purchase", Num(pr.MaxPurchase)));
        }
        return Obj(
            ("feature_id", i.FeatureId),
            ("included", Num(unlimited ? 0 : i.Included ?? 0)),
            ("unlimited", unlimited),
            ("reset", i.Reset is { } r ? Obj(("interval", r.Interval), ("interval_count", r.IntervalCount ?? 1)) : null),
            ("price", price),
            ("rollover", i.Rollover is { } ro
                ? Obj(("max", Num(ro.Max)), ("max_percentage", Num(ro.MaxPercentage)), ("expiry_duration_type", ro.ExpiryDurationType),
                    ("expiry_duration_length", ro.ExpiryDurationLength ?? 1))
                : null),
            ("entity_feature_id", i.EntityFeatureId));
    }

    /// <summary>Text of a normal form: equal text, equal entry.</summary>
    public static string Key(JsonNode? node) => node?.ToJsonString() ?? "null";

    public static bool Same(JsonNode? a, JsonNode? b) => Key(a) == Key(b);

    /// <summary>A decimal with its trailing zeros dropped, so 100 and 100.0 compare equal.</summary>
    public static decimal Normal(decimal d) => d / 1.0000000000000000000000000000m;

    private static JsonNode? Num(decimal? d) => d is { } v ? JsonValue.Create(Normal(v)) : null;

    /// <summary>Free-form JSON with object keys sorted and numbers normalised.</summary>
    public static JsonNode? Free(JsonElement? e)
    {
        if (e is not { } v)
        {
            return null;
        }
        return v.ValueKind switch
        {
            JsonValueKind.Object => new JsonObject(v.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Name, Free(p.Value)))),
            JsonValueKind.Array => Array(v.EnumerateArray().Select(x => Free(x))),
            JsonValueKind.Number => JsonValue.Create(Normal(decimal.Parse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture))),
            JsonValueKind.String => JsonValue.Create(v.GetString()),
            JsonValueKind.True => JsonValue.Create(true),
            JsonValueKind.False => JsonValue.Create(false),
            _ => null,
        };
    }

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new([.. items]);

    /// <summary>An object of the given fields, nulls left out (absent and null mean the same to the API).</summary>
    private static JsonObject Obj(params (string Key, JsonNode? Value)[] fields)
    {
        var o = new JsonObject();
        foreach (var (key, value) in fields)
        {
            if (value is not null)
            {
                o[key] = value;
            }
        }
        return o;
    }

    private static void Unstored(List<string>? warnings, string at, params (string Field, object? Value)[] fields)
    {
        foreach (var (field, value) in fields)
        {
            if (value is not null)
            {
                warnings?.Add($"{at}: {field} is accepted by the API but not stored by this server; it is left out of the comparison");
            }
        }
    }
}
