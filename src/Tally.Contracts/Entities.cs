using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>entities.create</c>.</summary>
public sealed class CreateEntityParams
{
    /// <summary>Owning customer (created if missing).</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Id of the new entity.</summary>
    [JsonRequired]
    public string EntityId { get; set; } = "";

    /// <summary>Entity type feature (non-consumable).</summary>
    [JsonRequired]
    public string FeatureId { get; set; } = "";

    /// <summary>Name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; set; }

    /// <summary>Billing controls object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }

    /// <summary>Data used if the customer has to be created.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? CustomerData { get; set; }
}

/// <summary>Body of <c>entities.get</c>.</summary>
public sealed class GetEntityParams
{
    /// <summary>Entity id.</summary>
    [JsonRequired]
    public string EntityId { get; set; } = "";

    /// <summary>Owning customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }
}

/// <summary>Body of <c>entities.list</c>.</summary>
public sealed class ListEntitiesParams
{
    /// <summary>Cursor from a previous page (<c>""</c> = first page).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StartCursor { get; set; }

    /// <summary>Page size (default 50).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Limit { get; set; }

    /// <summary>Only entities on these plans.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<ListCustomersPlan>? Plans { get; set; }

    /// <summary>Only entities with a subscription in this status.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SubscriptionStatus { get; set; }

    /// <summary>Search text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Search { get; set; }

    /// <summary>Only entities linked to these processors.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Processors { get; set; }

    /// <summary>Only entities of this customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }
}

/// <summary>Body of <c>entities.update</c>.</summary>
public sealed class UpdateEntityParams
{
    /// <summary>Entity id.</summary>
    [JsonRequired]
    public string EntityId { get; set; } = "";

    /// <summary>Owning customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }

    /// <summary>New billing controls object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }
}

/// <summary>Body of <c>entities.delete</c>.</summary>
public sealed class DeleteEntityParams
{
    /// <summary>Entity id.</summary>
    [JsonRequired]
    public string EntityId { get; set; } = "";

    /// <summary>Owning customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CustomerId { get; set; }
}

/// <summary>An entity (response of <c>entities.create|get|update</c>, items of <c>entities.list</c>).</summary>
public sealed class EntityResponse
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

    /// <summary>Creation time (ms since epoch).</summary>
    public long CreatedAt { get; set; }

    /// <summary>Environment: <c>sandbox</c> or <c>live</c>.</summary>
    public string Env { get; set; } = "";

    /// <summary>Recurring plans attached to the entity.</summary>
    public List<Subscription> Subscriptions { get; set; } = [];

    /// <summary>One-off plans attached to the entity.</summary>
    public List<Purchase> Purchases { get; set; } = [];

    /// <summary>Balances of non-boolean features, by feature id.</summary>
    public Dictionary<string, Balance> Balances { get; set; } = new();

    /// <summary>Boolean features, by feature id.</summary>
    public Dictionary<string, Flag> Flags { get; set; } = new();

    /// <summary>Billing controls (<c>{}</c> by default; set null to omit).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, JsonElement>? BillingControls { get; set; } = new();
}
