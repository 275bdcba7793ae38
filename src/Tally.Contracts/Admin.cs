namespace Tally.Contracts;

/// <summary>Body of <c>admin.audit</c>: recompute balances from the ledger, for every customer or one.</summary>
public sealed class AuditParams
{
    /// <summary>Audit only this customer (404 <c>customer_not_found</c> when it does not exist); all customers when null.</summary>
    public string? CustomerId { get; set; }
}

/// <summary>
/// One line of the <c>admin.audit</c> answer (<c>application/x-ndjson</c>, one JSON object per line). <see cref="Type"/>
/// is <c>difference</c> (a balance that is not what its ledger adds up to), <c>progress</c> (customers audited so far)
/// or <c>done</c> (the last line; an answer without it was cut off and proves nothing).
/// </summary>
public sealed class AuditLine
{
    /// <summary><c>difference</c>, <c>progress</c> or <c>done</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>On a difference: the customer.</summary>
    public string? CustomerId { get; set; }

    /// <summary>On a difference: the feature of the balance.</summary>
    public string? FeatureId { get; set; }

    /// <summary>On a difference: the entity owning the balance, if any.</summary>
    public string? EntityId { get; set; }

    /// <summary>On a difference: the balance source (one grant bucket).</summary>
    public string? SourceId { get; set; }

    /// <summary>On a difference: the rollover bucket of the source, when the difference is in one.</summary>
    public string? RolloverId { get; set; }

    /// <summary>On a difference: the balance as stored.</summary>
    public decimal? Stored { get; set; }

    /// <summary>On a difference: the balance the ledger adds up to.</summary>
    public decimal? Ledger { get; set; }

    /// <summary>On progress and done: customers audited so far.</summary>
    public long? Customers { get; set; }

    /// <summary>On progress and done: balances (sources and rollovers) compared so far.</summary>
    public long? Balances { get; set; }

    /// <summary>On progress and done: differences found so far.</summary>
    public long? Differences { get; set; }
}
