using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>balances.check</c>.</summary>
public sealed class CheckParams
{
    /// <summary>Customer to check.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Feature to check.</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Entity to check.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Balance needed (default 1).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? RequiredBalance { get; set; }

    /// <summary>Free-form event properties (used with <see cref="SendEvent"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Properties { get; set; }

    /// <summary>Atomically consume <see cref="RequiredBalance"/> when allowed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? SendEvent { get; set; }

    /// <summary>Reserve <see cref="RequiredBalance"/> until <c>balances.finalize</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LockParams? Lock { get; set; }

    /// <summary>Include an upgrade preview when denied.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? WithPreview { get; set; }
}

/// <summary>Response of <c>balances.check</c>.</summary>
public sealed class CheckResponse
{
    /// <summary>Whether the customer may use the feature.</summary>
    public bool Allowed { get; set; }

    /// <summary>Customer checked.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>Entity checked, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Balance needed (in the charged feature's units).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? RequiredBalance { get; set; }

    /// <summary>Balance of the feature, or null (always written).</summary>
    public Balance? Balance { get; set; }

    /// <summary>Balances of related features (e.g. credit systems).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, Balance?>? Balances { get; set; }

    /// <summary>Flag of a boolean feature, or null (always written).</summary>
    public Flag? Flag { get; set; }

    /// <summary>Upgrade preview, when requested and denied.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CheckPreview? Preview { get; set; }
}

/// <summary>Upgrade preview of a denied check.</summary>
public sealed class CheckPreview
{
    /// <summary>Reason: <c>usage_limit</c> or <c>feature_flag</c>.</summary>
    public string Scenario { get; set; } = "";

    /// <summary>Title to show.</summary>
    public string Title { get; set; } = "";

    /// <summary>Message to show.</summary>
    public string Message { get; set; } = "";

    /// <summary>Feature checked.</summary>
    public string FeatureId { get; set; } = "";

    /// <summary>Name of the feature checked.</summary>
    public string FeatureName { get; set; } = "";

    /// <summary>Plans that would grant access (legacy product shape, passed through as JSON).</summary>
    public List<JsonElement> Products { get; set; } = [];
}
