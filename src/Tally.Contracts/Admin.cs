namespace Tally.Contracts;

/// <summary>Body of <c>admin.audit</c>: recompute balances from the ledger, for every customer or one.</summary>
public sealed class AuditParams
{
    /// <summary>Audit only this customer (404 <c>customer_not_found</c> when it does not exist); all customers when null.</summary>
    public string? CustomerId { get; set; }
}

/// <summary>
/// One line of the <c>admin.audit</c> answer (<c>application/x-ndjson</c>, one JSON object per line). <see cref="Type"/>
/// is <c>difference</c> (a balance that is not what its ledger adds up to), <c>rollup_difference</c> (an hour of the
/// usage rollup behind <c>events.aggregate</c> that is not what the ledger's tracks in that hour add up to),
/// <c>progress</c> (customers audited so far) or <c>done</c> (the last line; an answer without it was cut off and
/// proves nothing).
/// </summary>
public sealed class AuditLine
{
    /// <summary><c>difference</c>, <c>rollup_difference</c>, <c>progress</c> or <c>done</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>On a difference or rollup difference: the customer.</summary>
    public string? CustomerId { get; set; }

    /// <summary>On a difference: the feature of the balance; on a rollup difference: the ledger name (feature id or event name).</summary>
    public string? FeatureId { get; set; }

    /// <summary>On a difference: the entity owning the balance; on a rollup difference: the entity the usage was tracked against.</summary>
    public string? EntityId { get; set; }

    /// <summary>On a difference: the balance source (one grant bucket).</summary>
    public string? SourceId { get; set; }

    /// <summary>On a difference: the rollover bucket of the source, when the difference is in one.</summary>
    public string? RolloverId { get; set; }

    /// <summary>On a rollup difference: start of the UTC hour (epoch milliseconds).</summary>
    public long? Hour { get; set; }

    /// <summary>On a difference: the balance as stored; on a rollup difference: the hour's usage sum as stored.</summary>
    public decimal? Stored { get; set; }

    /// <summary>On a difference: the balance the ledger adds up to; on a rollup difference: the sum of the hour's tracks in the ledger.</summary>
    public decimal? Ledger { get; set; }

    /// <summary>On a rollup difference: the number of tracks the rollup row counts.</summary>
    public long? StoredCount { get; set; }

    /// <summary>On a rollup difference: the number of tracks in the ledger for that hour.</summary>
    public long? LedgerCount { get; set; }

    /// <summary>On progress and done: customers audited so far.</summary>
    public long? Customers { get; set; }

    /// <summary>On progress and done: balances (sources and rollovers) compared so far.</summary>
    public long? Balances { get; set; }

    /// <summary>On progress and done: usage rollup rows (customer, ledger name, hour, entity) compared so far.</summary>
    public long? RollupRows { get; set; }

    /// <summary>On progress and done: differences found so far, balance and rollup ones together.</summary>
    public long? Differences { get; set; }
}

/// <summary>Body of <c>admin.export_usage</c>: usage for invoicing per customer, feature and calendar month (UTC).</summary>
public sealed class ExportUsageParams
{
    /// <summary>Start of the range, inclusive (epoch milliseconds).</summary>
    [System.Text.Json.Serialization.JsonRequired]
    public long From { get; set; }

    /// <summary>End of the range, exclusive (epoch milliseconds); at most ten years after <see cref="From"/>.</summary>
    [System.Text.Json.Serialization.JsonRequired]
    public long To { get; set; }

    /// <summary>Export only this customer (404 <c>customer_not_found</c> when it does not exist); all customers when null.</summary>
    public string? CustomerId { get; set; }
}

/// <summary>
/// One line of the <c>admin.export_usage</c> answer (<c>application/x-ndjson</c>). <see cref="Type"/> is <c>row</c>
/// (one customer, feature and period) or <c>done</c> (the last line, with the row count; an answer without it was cut off).
/// </summary>
public sealed class UsageExportLine
{
    /// <summary><c>row</c> or <c>done</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>On a row: the customer.</summary>
    public string? CustomerId { get; set; }

    /// <summary>On a row: the feature (for a credit system, the credits feature the usage was drawn from).</summary>
    public string? FeatureId { get; set; }

    /// <summary>On a row: start of the period (epoch ms): the calendar month's first instant, or the range's start.</summary>
    public long? PeriodStart { get; set; }

    /// <summary>On a row: end of the period, exclusive (epoch ms): the next month's first instant, or the range's end.</summary>
    public long? PeriodEnd { get; set; }

    /// <summary>On a row: usage in the period, refunds netted, in the balance's unit.</summary>
    public decimal? Usage { get; set; }

    /// <summary>On a row: included plus prepaid allowance of the grants in force in the period; null when unlimited.</summary>
    public decimal? Included { get; set; }

    /// <summary>On a row: max(0, usage − included); 0 when unlimited.</summary>
    public decimal? Overage { get; set; }

    /// <summary>On done: rows sent.</summary>
    public long? Rows { get; set; }

    /// <summary>On done: customers read.</summary>
    public long? Customers { get; set; }
}
