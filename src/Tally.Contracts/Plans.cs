using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>plans.create</c>.</summary>
public sealed class CreatePlanParams
{
    /// <summary>Id of the new plan (<c>^[a-zA-Z0-9_-]+$</c>).</summary>
    [JsonRequired]
    public string PlanId { get; set; } = "";

    /// <summary>Display name.</summary>
    [JsonRequired]
    public string Name { get; set; } = "";

    /// <summary>Mutual-exclusion group (default <c>""</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Group { get; set; }

    /// <summary>Description.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Description { get; set; }

    /// <summary>Whether the plan is an add-on (default false).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AddOn { get; set; }

    /// <summary>Whether new customers get the plan automatically (default false).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AutoEnable { get; set; }

    /// <summary>Base price.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanPrice? Price { get; set; }

    /// <summary>Feature items.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlanItem>? Items { get; set; }

    /// <summary>License definitions (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Licenses { get; set; }

    /// <summary>Free trial.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FreeTrial? FreeTrial { get; set; }

    /// <summary>Plan config, e.g. <c>{ignore_past_due}</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Config { get; set; }

    /// <summary>Billing controls.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }

    /// <summary>Free-form metadata object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Metadata { get; set; }

    /// <summary>Whether to create the plan in Stripe (ignored by Tally).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? CreateInStripe { get; set; }
}

/// <summary>Body of <c>plans.get</c>.</summary>
public sealed class GetPlanParams
{
    /// <summary>Id of the plan.</summary>
    [JsonRequired]
    public string PlanId { get; set; } = "";

    /// <summary>Specific version (default: latest).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Version { get; set; }
}

/// <summary>Body of <c>plans.list</c> (may be empty).</summary>
public sealed class ListPlansParams
{
    /// <summary>Customer whose eligibility is reported.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }

    /// <summary>Entity whose eligibility is reported.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntityId { get; set; }

    /// <summary>Include archived plans.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IncludeArchived { get; set; }

    /// <summary>Return every version, not only the latest.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AllVersions { get; set; }
}

/// <summary>Body of <c>plans.update</c>.</summary>
public sealed class UpdatePlanParams
{
    private PlanPrice? _price;
    private FreeTrial? _freeTrial;
    private string? _basePlanId;

    /// <summary>Id of the plan to update.</summary>
    [JsonRequired]
    public string PlanId { get; set; } = "";

    /// <summary>New group.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Group { get; set; }

    /// <summary>New name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; set; }

    /// <summary>New description.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Description { get; set; }

    /// <summary>New add-on flag.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AddOn { get; set; }

    /// <summary>New auto-enable flag.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AutoEnable { get; set; }

    /// <summary>New base price; an explicit null removes it (see <see cref="PriceSpecified"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PlanPrice? Price
    {
        get => _price;
        set { _price = value; PriceSpecified = true; }
    }

    /// <summary>True when <c>price</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool PriceSpecified { get; set; }

    /// <summary>New items (replace the current ones).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlanItem>? Items { get; set; }

    /// <summary>License definitions (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Licenses { get; set; }

    /// <summary>New free trial; an explicit null removes it (see <see cref="FreeTrialSpecified"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FreeTrial? FreeTrial
    {
        get => _freeTrial;
        set { _freeTrial = value; FreeTrialSpecified = true; }
    }

    /// <summary>True when <c>free_trial</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool FreeTrialSpecified { get; set; }

    /// <summary>New plan config.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Config { get; set; }

    /// <summary>New billing controls.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }

    /// <summary>New metadata object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Metadata { get; set; }

    /// <summary>Whether to sync to Stripe (ignored by Tally).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? CreateInStripe { get; set; }

    /// <summary>Version to update.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Version { get; set; }

    /// <summary>Archive or unarchive the plan.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Archived { get; set; }

    /// <summary>Base plan of a variant; an explicit null clears it (see <see cref="BasePlanIdSpecified"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? BasePlanId
    {
        get => _basePlanId;
        set { _basePlanId = value; BasePlanIdSpecified = true; }
    }

    /// <summary>True when <c>base_plan_id</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool BasePlanIdSpecified { get; set; }

    /// <summary>New id for the plan.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NewPlanId { get; set; }

    /// <summary>Update in place instead of creating a new version.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? DisableVersion { get; set; }

    /// <summary>Apply to every version.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AllVersions { get; set; }

    /// <summary>Customer migration settings (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Migration { get; set; }

    /// <summary>Force a new version.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? ForceVersion { get; set; }

    /// <summary>Variant ids to update as well.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? UpdateVariantIds { get; set; }

    /// <summary>License parents to update (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? UpdateLicenseParents { get; set; }

    /// <summary>Variants (passed through as JSON).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Variants { get; set; }

    /// <summary>Mark as the default plan.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IsDefault { get; set; }
}

/// <summary>Body of <c>plans.delete</c>.</summary>
public sealed class DeletePlanParams
{
    /// <summary>Id of the plan to delete.</summary>
    [JsonRequired]
    public string PlanId { get; set; } = "";

    /// <summary>Delete every version (default false).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AllVersions { get; set; }
}

/// <summary>A plan (response of <c>plans.*</c>, items of <c>plans.list</c>).</summary>
public sealed class Plan
{
    /// <summary>Plan id.</summary>
    public string Id { get; set; } = "";

    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Description, or null.</summary>
    public string? Description { get; set; }

    /// <summary>Mutual-exclusion group, or null.</summary>
    public string? Group { get; set; }

    /// <summary>Version number.</summary>
    public int Version { get; set; } = 1;

    /// <summary>Whether the plan is an add-on.</summary>
    public bool AddOn { get; set; }

    /// <summary>Whether new customers get the plan automatically.</summary>
    public bool AutoEnable { get; set; }

    /// <summary>Base price, or null for plans without one.</summary>
    public PlanPrice? Price { get; set; }

    /// <summary>Feature items.</summary>
    public List<PlanItemResponse> Items { get; set; } = [];

    /// <summary>Free trial, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FreeTrial? FreeTrial { get; set; }

    /// <summary>Creation time (ms since epoch).</summary>
    public long CreatedAt { get; set; }

    /// <summary>Environment: <c>sandbox</c> or <c>live</c>.</summary>
    public string Env { get; set; } = "";

    /// <summary>Whether the plan is archived.</summary>
    public bool Archived { get; set; }

    /// <summary>Plan config (e.g. <c>ignore_past_due</c>); never null.</summary>
    public Dictionary<string, JsonElement> Config { get; set; } = new();

    /// <summary>Billing controls, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, JsonElement>? BillingControls { get; set; }

    /// <summary>Free-form metadata; never null.</summary>
    public Dictionary<string, JsonElement> Metadata { get; set; } = new();

    /// <summary>Eligibility of the customer passed to list/get, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CustomerEligibility? CustomerEligibility { get; set; }

    /// <summary>Base plan of a variant, or null.</summary>
    public string? BaseVariantId { get; set; }
}
