using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>A recurring plan attached to a customer or entity.</summary>
public sealed class Subscription
{
    /// <summary>Subscription id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The plan object, when expanded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Plan? Plan { get; set; }

    /// <summary>Plan id.</summary>
    public string PlanId { get; set; } = "";

    /// <summary>Whether the plan is auto-enabled.</summary>
    public bool AutoEnable { get; set; }

    /// <summary>Whether the plan is an add-on.</summary>
    public bool AddOn { get; set; }

    /// <summary>Status: <c>active</c> or <c>scheduled</c>.</summary>
    public string Status { get; set; } = "";

    /// <summary>Whether payment is past due.</summary>
    public bool PastDue { get; set; }

    /// <summary>Cancellation time (ms), or null.</summary>
    public long? CanceledAt { get; set; }

    /// <summary>Expiry time (ms), or null.</summary>
    public long? ExpiresAt { get; set; }

    /// <summary>Trial end (ms), or null.</summary>
    public long? TrialEndsAt { get; set; }

    /// <summary>Start time (ms).</summary>
    public long StartedAt { get; set; }

    /// <summary>Current period start (ms), or null.</summary>
    public long? CurrentPeriodStart { get; set; }

    /// <summary>Current period end (ms), or null.</summary>
    public long? CurrentPeriodEnd { get; set; }

    /// <summary>Quantity.</summary>
    public decimal Quantity { get; set; } = 1;

    /// <summary>Scope: <c>customer</c> or <c>entity</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Scope { get; set; }
}

/// <summary>A one-off plan attached to a customer or entity.</summary>
public sealed class Purchase
{
    /// <summary>The plan object, when expanded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Plan? Plan { get; set; }

    /// <summary>Plan id.</summary>
    public string PlanId { get; set; } = "";

    /// <summary>Expiry time (ms), or null.</summary>
    public long? ExpiresAt { get; set; }

    /// <summary>Purchase time (ms).</summary>
    public long StartedAt { get; set; }

    /// <summary>Quantity.</summary>
    public decimal Quantity { get; set; } = 1;

    /// <summary>Scope: <c>customer</c> or <c>entity</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Scope { get; set; }
}

/// <summary>An entity as listed inside an expanded <see cref="Customer"/>.</summary>
public sealed class CustomerEntity
{
    /// <summary>Entity id, or null.</summary>
    public string? Id { get; set; }

    /// <summary>Name, or null.</summary>
    public string? Name { get; set; }

    /// <summary>Owning customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }

    /// <summary>Entity type feature.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FeatureId { get; set; }

    /// <summary>Creation time (ms).</summary>
    public long CreatedAt { get; set; }

    /// <summary>Environment: <c>sandbox</c> or <c>live</c>.</summary>
    public string Env { get; set; } = "";
}
