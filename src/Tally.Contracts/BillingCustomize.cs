using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>
/// <c>customize</c> of <c>billing.attach</c>, <c>billing.preview_attach</c> and <c>billing.update</c>: items and a
/// base price for this customer only; the plan in the catalog is unchanged.
/// </summary>
public sealed class PlanCustomize
{
    private PlanPrice? _price;
    private FreeTrial? _freeTrial;

    /// <summary>Base price override; an explicit null removes the base price (see <see cref="PriceSpecified"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanPrice? Price
    {
        get => _price;
        set { _price = value; PriceSpecified = true; }
    }

    /// <summary>True when <c>price</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool PriceSpecified { get; set; }

    /// <summary>Replaces every item of the plan; cannot be combined with <see cref="AddItems"/> or <see cref="RemoveItems"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlanItem>? Items { get; set; }

    /// <summary>Items added to the plan's own (after <see cref="RemoveItems"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlanItem>? AddItems { get; set; }

    /// <summary>Filters selecting plan items to remove.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlanItemFilter>? RemoveItems { get; set; }

    /// <summary>
    /// Free trial override; an explicit null means no trial (see <see cref="FreeTrialSpecified"/>). Takes precedence
    /// over the top-level <c>free_trial</c>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FreeTrial? FreeTrial
    {
        get => _freeTrial;
        set { _freeTrial = value; FreeTrialSpecified = true; }
    }

    /// <summary>True when <c>free_trial</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool FreeTrialSpecified { get; set; }

    /// <summary>Per-customer billing controls; not supported by Tally (a 400).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }

    /// <summary>License links; not supported by Tally (a 400).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? UpsertLicenses { get; set; }

    /// <summary>License links to drop; not supported by Tally (a 400).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? RemoveLicenses { get; set; }
}

/// <summary>Selects plan items: every field given must match.</summary>
public sealed class PlanItemFilter
{
    /// <summary>Items of this feature.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FeatureId { get; set; }

    /// <summary>Items with this billing method (<c>prepaid</c> or <c>usage_based</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BillingMethod { get; set; }

    /// <summary>Items whose price interval or reset interval is this.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Interval { get; set; }

    /// <summary>Items with this interval count.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IntervalCount { get; set; }
}
