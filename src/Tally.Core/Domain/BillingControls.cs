using System.Globalization;
using System.Text.Json;

namespace Tally.Core.Domain;

/// <summary>The window of a usage limit.</summary>
public enum ControlWindow
{
    Day,
    Week,
    Month,
    Year,
}

/// <summary>
/// A windowed hard cap on the units tracked for a feature (Autumn's <c>usage_limits[]</c>). <c>FilterJson</c> is the
/// canonical <c>filter.properties</c> object, or null: only matching events count and are capped.
/// </summary>
public sealed record UsageLimit(string FeatureId, bool Enabled, decimal Limit, ControlWindow Interval, bool BillingCycleAnchor,
    string? FilterJson);

/// <summary>Forces a feature's sources to be allowed (or forbidden) to go below zero (<c>overage_allowed[]</c>).</summary>
public sealed record OverageControl(string FeatureId, bool Enabled);

/// <summary>
/// Caps the overage of a feature (<c>spend_limits[]</c>), in feature units or as a percentage of the granted amount.
/// A null feature applies to every feature; a null limit caps nothing.
/// </summary>
public sealed record SpendLimit(string? FeatureId, bool Enabled, bool UsagePercentage, decimal? OverageLimit);

/// <summary>A usage alert (<c>usage_alerts[]</c>): raised once per threshold per period when crossed; a null feature watches every feature.</summary>
public sealed record UsageAlert(string? FeatureId, bool Enabled, decimal Threshold, string ThresholdType, string? Name)
{
    /// <summary>The alert's identity within its subject: what a fired mark remembers.</summary>
    public string Key => ThresholdType + ":" + Threshold.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The parsed billing controls of a customer or an entity. Parsing validates: an entry without its required fields,
/// a value of the wrong type, or two entries for the same feature (and window) is an error naming the field.
/// </summary>
public sealed record BillingControls(
    IReadOnlyList<UsageLimit> UsageLimits,
    IReadOnlyList<OverageControl> OverageAllowed,
    IReadOnlyList<SpendLimit> SpendLimits,
    IReadOnlyList<UsageAlert> UsageAlerts)
{
    /// <summary>The keys Tally enforces; <c>auto_topups</c> is stored and echoed only.</summary>
    public static readonly string[] Keys = ["usage_limits", "overage_allowed", "spend_limits", "usage_alerts"];

    public bool IsEmpty => UsageLimits.Count == 0 && OverageAllowed.Count == 0 && SpendLimits.Count == 0 && UsageAlerts.Count == 0;

    /// <summary>
    /// The controls stored as <paramref name="json"/>, or null when there are none. The stored object was validated on
    /// the way in; "{}" (no controls, the common case) answers without parsing.
    /// </summary>
    public static BillingControls? FromStored(string json)
    {
        if (json.Length <= 2)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        var (controls, _) = Parse(doc.RootElement);
        return controls is null || controls.IsEmpty ? null : controls;
    }

    /// <summary>Parses and validates a <c>billing_controls</c> object; the error names the offending field.</summary>
    public static (BillingControls? Controls, string? Error) Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "billing_controls: must be an object");
        }
        var limits = new List<UsageLimit>();
        var overage = new List<OverageControl>();
        var spend = new List<SpendLimit>();
        var alerts = new List<UsageAlert>();
        string? error = null;
        foreach (var p in root.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            error = p.Name switch
            {
                "usage_limits" => Each(p, (e, at) => ParseUsageLimit(e, at, limits)),
                "overage_allowed" => Each(p, (e, at) => ParseOverage(e, at, overage)),
                "spend_limits" => Each(p, (e, at) => ParseSpend(e, at, spend)),
                "usage_alerts" => Each(p, (e, at) => ParseAlert(e, at, alerts)),
                "auto_topups" => p.Value.ValueKind == JsonValueKind.Array ? null : "billing_controls.auto_topups: must be an array",
                _ => null,
            };
            if (error is not null)
            {
                return (null, error);
            }
        }
        return (new BillingControls(limits, overage, spend, alerts), null);
    }

    private static string? Each(JsonProperty p, Func<JsonElement, string, string?> parse)
    {
        if (p.Value.ValueKind != JsonValueKind.Array)
        {
            return $"billing_controls.{p.Name}: must be an array";
        }
        var i = 0;
        foreach (var e in p.Value.EnumerateArray())
        {
            var at = $"billing_controls.{p.Name}[{i++}]";
            if (e.ValueKind != JsonValueKind.Object)
            {
                return $"{at}: must be an object";
            }
            if (parse(e, at) is { } err)
            {
                return err;
            }
        }
        return null;
    }

    private static string? ParseUsageLimit(JsonElement e, string at, List<UsageLimit> into)
    {
        if (FeatureId(e, at, out var fid) is { } err) return err;
        if (Bool(e, at, "enabled", true, out var enabled) is { } err2) return err2;
        if (Number(e, at, "limit", required: true, out var limit) is { } err3) return err3;
        if (limit < 0) return $"{at}.limit: must be at least 0";
        if (Word(e, at, "interval", ["day", "week", "month", "year"], null, out var interval) is { } err4) return err4;
        if (Word(e, at, "anchor", ["billing_cycle", "utc"], "billing_cycle", out var anchor) is { } err5) return err5;
        string? filter = null;
        if (e.TryGetProperty("filter", out var f) && f.ValueKind != JsonValueKind.Null)
        {
            if (f.ValueKind != JsonValueKind.Object) return $"{at}.filter: must be an object";
            if (f.TryGetProperty("properties", out var props) && props.ValueKind != JsonValueKind.Null)
            {
                if (props.ValueKind != JsonValueKind.Object) return $"{at}.filter.properties: must be an object";
                filter = ControlFilter.Canonical(props);
            }
        }
        var window = interval switch { "day" => ControlWindow.Day, "week" => ControlWindow.Week, "month" => ControlWindow.Month, _ => ControlWindow.Year };
        var limitEntry = new UsageLimit(fid, enabled, limit!.Value, window, anchor == "billing_cycle", filter);
        if (into.Exists(x => x.FeatureId == fid && x.Interval == window && x.FilterJson == filter))
        {
            return $"{at}: a second usage limit for feature {fid} and interval {interval}";
        }
        into.Add(limitEntry);
        return null;
    }

    private static string? ParseOverage(JsonElement e, string at, List<OverageControl> into)
    {
        if (FeatureId(e, at, out var fid) is { } err) return err;
        if (Bool(e, at, "enabled", true, out var enabled) is { } err2) return err2;
        if (into.Exists(x => x.FeatureId == fid)) return $"{at}: a second overage_allowed entry for feature {fid}";
        into.Add(new OverageControl(fid, enabled));
        return null;
    }

    private static string? ParseSpend(JsonElement e, string at, List<SpendLimit> into)
    {
        if (OptionalFeatureId(e, at, out var fid) is { } err) return err;
        if (Bool(e, at, "enabled", true, out var enabled) is { } err2) return err2;
        if (Word(e, at, "limit_type", ["absolute", "usage_percentage"], "absolute", out var type) is { } err3) return err3;
        if (Number(e, at, "overage_limit", required: false, out var limit) is { } err4) return err4;
        if (limit < 0) return $"{at}.overage_limit: must be at least 0";
        if (into.Exists(x => x.FeatureId == fid)) return $"{at}: a second spend limit for feature {fid ?? "(all)"}";
        into.Add(new SpendLimit(fid, enabled, type == "usage_percentage", limit));
        return null;
    }

    private static string? ParseAlert(JsonElement e, string at, List<UsageAlert> into)
    {
        if (OptionalFeatureId(e, at, out var fid) is { } err) return err;
        if (Bool(e, at, "enabled", true, out var enabled) is { } err2) return err2;
        if (Number(e, at, "threshold", required: true, out var threshold) is { } err3) return err3;
        if (threshold < 0) return $"{at}.threshold: must be at least 0";
        if (Word(e, at, "threshold_type", ["usage", "usage_percentage", "remaining", "remaining_percentage"], null, out var type) is { } err4)
        {
            return err4;
        }
        string? name = null;
        if (e.TryGetProperty("name", out var n) && n.ValueKind != JsonValueKind.Null)
        {
            if (n.ValueKind != JsonValueKind.String) return $"{at}.name: must be a string";
            name = n.GetString();
        }
        var alert = new UsageAlert(fid, enabled, threshold!.Value, type, name);
        if (into.Exists(x => x.FeatureId == fid && x.Key == alert.Key))
        {
            return $"{at}: a second usage alert for feature {fid ?? "(all)"} at {type} {threshold}";
        }
        into.Add(alert);
        return null;
    }

    private static string? FeatureId(JsonElement e, string at, out string id)
    {
        id = "";
        if (!e.TryGetProperty("feature_id", out var f) || f.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(f.GetString()))
        {
            return $"{at}.feature_id: required, a non-empty string";
        }
        id = f.GetString()!;
        return null;
    }

    private static string? OptionalFeatureId(JsonElement e, string at, out string? id)
    {
        id = null;
        if (!e.TryGetProperty("feature_id", out var f) || f.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var err = FeatureId(e, at, out var given);
        id = given;
        return err;
    }

    private static string? Bool(JsonElement e, string at, string name, bool? fallback, out bool value)
    {
        value = fallback ?? false;
        if (!e.TryGetProperty(name, out var b) || b.ValueKind == JsonValueKind.Null)
        {
            return fallback is null ? $"{at}.{name}: required, a boolean" : null;
        }
        if (b.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return $"{at}.{name}: must be a boolean";
        value = b.GetBoolean();
        return null;
    }

    private static string? Number(JsonElement e, string at, string name, bool required, out decimal? value)
    {
        value = null;
        if (!e.TryGetProperty(name, out var n) || n.ValueKind == JsonValueKind.Null)
        {
            return required ? $"{at}.{name}: required, a number" : null;
        }
        if (n.ValueKind != JsonValueKind.Number || !n.TryGetDecimal(out var d)) return $"{at}.{name}: must be a number";
        value = d;
        return null;
    }

    private static string? Word(JsonElement e, string at, string name, string[] allowed, string? fallback, out string value)
    {
        value = fallback ?? "";
        if (!e.TryGetProperty(name, out var w) || w.ValueKind == JsonValueKind.Null)
        {
            return fallback is null ? $"{at}.{name}: required, one of {string.Join("|", allowed)}" : null;
        }
        if (w.ValueKind != JsonValueKind.String || Array.IndexOf(allowed, w.GetString()) < 0)
        {
            return $"{at}.{name}: must be one of {string.Join("|", allowed)}";
        }
        value = w.GetString()!;
        return null;
    }
}

/// <summary>Per-subject memory of the controls, committed with the deduction that moved it.</summary>
public sealed record ControlState
{
    /// <summary>One counter per (feature, window, filter): the units counted in the window that starts at <c>Start</c>.</summary>
    public IReadOnlyList<WindowCounter> Windows { get; init; } = [];

    /// <summary>The alerts already raised, each for the period it fired in.</summary>
    public IReadOnlyList<FiredAlert> Alerts { get; init; } = [];
}

/// <summary>Units counted against a usage limit in one window.</summary>
public sealed record WindowCounter(string FeatureId, ControlWindow Interval, string? FilterJson, DateTimeOffset Start, decimal Used);

/// <summary>An alert that fired in the period identified by <c>Period</c> (the feature's next reset, or null when it never resets).</summary>
public sealed record FiredAlert(string FeatureId, string Key, DateTimeOffset? Period);

/// <summary>Matching of an event's properties against a usage limit's <c>filter.properties</c>.</summary>
public static class ControlFilter
{
    /// <summary>A canonical text of a filter: keys sorted, values as their raw JSON, so equal filters compare equal.</summary>
    public static string Canonical(JsonElement properties)
    {
        var pairs = properties.EnumerateObject().Select(p => (p.Name, Raw: p.Value.GetRawText()))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (name, raw) in pairs)
            {
                writer.WritePropertyName(name);
                using var v = JsonDocument.Parse(raw);
                v.RootElement.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>True when every filtered property is present in the event with an equal value.</summary>
    public static bool Matches(string filterJson, string propertiesJson)
    {
        using var filter = JsonDocument.Parse(filterJson);
        using var props = JsonDocument.Parse(string.IsNullOrEmpty(propertiesJson) ? "{}" : propertiesJson);
        if (props.RootElement.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        foreach (var f in filter.RootElement.EnumerateObject())
        {
            if (!props.RootElement.TryGetProperty(f.Name, out var v) || !JsonElement.DeepEquals(v, f.Value))
            {
                return false;
            }
        }
        return true;
    }
}
