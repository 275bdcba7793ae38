using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Body of <c>customers.get_or_create</c>.</summary>
public sealed class GetOrCreateCustomerParams
{
    /// <summary>Customer id; required and non-empty (Tally answers 400 invalid_inputs for a missing or null id; it keeps no id-less customers).</summary>
    public string? CustomerId { get; set; }

    /// <summary>Name (filled in only if currently empty).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; set; }

    /// <summary>Email (filled in only if currently empty).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Email { get; set; }

    /// <summary>Device or browser fingerprint.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Fingerprint { get; set; }

    /// <summary>Free-form metadata object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Metadata { get; set; }

    /// <summary>Stripe customer id.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StripeId { get; set; }

    /// <summary>Whether to create the customer in Stripe (ignored by Tally).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? CreateInStripe { get; set; }

    /// <summary>The one auto-enable plan to attach on creation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AutoEnablePlanId { get; set; }

    /// <summary>Whether to email receipts.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? SendEmailReceipts { get; set; }

    /// <summary>Billing currency.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Currency { get; set; }

    /// <summary>Billing controls object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }

    /// <summary>Customer config object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Config { get; set; }

    /// <summary>Fields to expand in the response (e.g. <c>entities</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Expand { get; set; }
}

/// <summary>Body of <c>customers.get</c>.</summary>
public sealed class GetCustomerParams
{
    /// <summary>Customer id.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Fields to expand in the response (e.g. <c>entities</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Expand { get; set; }
}

/// <summary>Body of <c>customers.list</c>.</summary>
public sealed class ListCustomersParams
{
    /// <summary>Cursor from a previous page (<c>""</c> = first page).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StartCursor { get; set; }

    /// <summary>Page size (default 50).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Limit { get; set; }

    /// <summary>Only customers on these plans.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<ListCustomersPlan>? Plans { get; set; }

    /// <summary>Only customers with a subscription in this status.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SubscriptionStatus { get; set; }

    /// <summary>Search text (id, name, email).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Search { get; set; }

    /// <summary>Only customers linked to these processors.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Processors { get; set; }

    /// <summary>Sort order by creation: <c>asc</c> or <c>desc</c> (default).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SortOrder { get; set; }

    /// <summary>Only customers created in this range.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CreatedAtRange? CreatedAtRange { get; set; }
}

/// <summary>Plan filter of <c>customers.list</c>/<c>entities.list</c>.</summary>
public sealed class ListCustomersPlan
{
    /// <summary>Plan id.</summary>
    [JsonRequired]
    public string Id { get; set; } = "";

    /// <summary>Only these versions.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<int>? Versions { get; set; }
}

/// <summary>Creation-time range filter (ms since epoch).</summary>
public sealed class CreatedAtRange
{
    /// <summary>Inclusive start.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Start { get; set; }

    /// <summary>End.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? End { get; set; }
}

/// <summary>Body of <c>customers.update</c>; nullable fields may be cleared with an explicit null (see the <c>*Specified</c> flags).</summary>
public sealed class UpdateCustomerParams
{
    private string? _name;
    private string? _email;
    private string? _fingerprint;
    private JsonElement? _metadata;
    private string? _stripeId;
    private string? _currency;

    /// <summary>Customer to update.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>New id for the customer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NewCustomerId { get; set; }

    /// <summary>New name (null clears).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name
    {
        get => _name;
        set { _name = value; NameSpecified = true; }
    }

    /// <summary>True when <c>name</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool NameSpecified { get; set; }

    /// <summary>New email (null clears).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Email
    {
        get => _email;
        set { _email = value; EmailSpecified = true; }
    }

    /// <summary>True when <c>email</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool EmailSpecified { get; set; }

    /// <summary>New fingerprint (null clears).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Fingerprint
    {
        get => _fingerprint;
        set { _fingerprint = value; FingerprintSpecified = true; }
    }

    /// <summary>True when <c>fingerprint</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool FingerprintSpecified { get; set; }

    /// <summary>New metadata object (JSON null clears).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Metadata
    {
        get => _metadata;
        set { _metadata = value; MetadataSpecified = true; }
    }

    /// <summary>True when <c>metadata</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool MetadataSpecified { get; set; }

    /// <summary>New Stripe customer id (null clears).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StripeId
    {
        get => _stripeId;
        set { _stripeId = value; StripeIdSpecified = true; }
    }

    /// <summary>True when <c>stripe_id</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool StripeIdSpecified { get; set; }

    /// <summary>New email-receipts flag.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? SendEmailReceipts { get; set; }

    /// <summary>New currency (null clears).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Currency
    {
        get => _currency;
        set { _currency = value; CurrencySpecified = true; }
    }

    /// <summary>True when <c>currency</c> was present in the body (even as null).</summary>
    [JsonIgnore]
    public bool CurrencySpecified { get; set; }

    /// <summary>New billing controls object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? BillingControls { get; set; }

    /// <summary>New customer config object.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Config { get; set; }
}

/// <summary>Body of <c>customers.delete</c>.</summary>
public sealed class DeleteCustomerParams
{
    /// <summary>Customer to delete.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Also delete in Stripe (ignored by Tally).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? DeleteInStripe { get; set; }
}

/// <summary>A customer (response of <c>customers.get|get_or_create|update</c>, items of <c>customers.list</c>).</summary>
public sealed class Customer
{
    /// <summary>Your customer id, or null for an id-less customer.</summary>
    public string? Id { get; set; }

    /// <summary>Name, or null.</summary>
    public string? Name { get; set; }

    /// <summary>Email, or null.</summary>
    public string? Email { get; set; }

    /// <summary>Creation time (ms since epoch).</summary>
    public long CreatedAt { get; set; }

    /// <summary>Fingerprint, or null.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>Stripe customer id, or null.</summary>
    public string? StripeId { get; set; }

    /// <summary>Environment: <c>sandbox</c> or <c>live</c>.</summary>
    public string Env { get; set; } = "";

    /// <summary>Free-form metadata; never null.</summary>
    public Dictionary<string, JsonElement> Metadata { get; set; } = new();

    /// <summary>Whether receipts are emailed.</summary>
    public bool SendEmailReceipts { get; set; }

    /// <summary>Billing controls; never null (<c>{}</c> when unused).</summary>
    public Dictionary<string, JsonElement> BillingControls { get; set; } = new();

    /// <summary>Recurring plans.</summary>
    public List<Subscription> Subscriptions { get; set; } = [];

    /// <summary>One-off plans.</summary>
    public List<Purchase> Purchases { get; set; } = [];

    /// <summary>Seat pools (<c>[]</c> when unused).</summary>
    public List<JsonElement> Licenses { get; set; } = [];

    /// <summary>Balances of non-boolean features, by feature id.</summary>
    public Dictionary<string, Balance> Balances { get; set; } = new();

    /// <summary>Boolean features, by feature id.</summary>
    public Dictionary<string, Flag> Flags { get; set; } = new();

    /// <summary>Customer config, if any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, JsonElement>? Config { get; set; }

    /// <summary>Entities, when expanded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CustomerEntity>? Entities { get; set; }
}

/// <summary>Body of <c>customers.advance_test_clock</c>.</summary>
public sealed class AdvanceTestClockParams
{
    /// <summary>Customer whose clock moves.</summary>
    [JsonRequired]
    public string CustomerId { get; set; } = "";

    /// <summary>Absolute target time (ms since epoch).</summary>
    [JsonRequired]
    public long FrozenTime { get; set; }
}

/// <summary>Response of <c>customers.advance_test_clock</c>.</summary>
public sealed class AdvanceTestClockResponse
{
    /// <summary>Customer whose clock moved.</summary>
    public string CustomerId { get; set; } = "";

    /// <summary>The customer's new time (ms since epoch).</summary>
    public long FrozenTime { get; set; }

    /// <summary>Status: <c>ready</c>, <c>advancing</c> or <c>internal_failure</c>.</summary>
    public string Status { get; set; } = "";
}
