using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary>
/// <c>admin.*</c>: read-only operator routes over the caller's organization and environment; any secret key of it may
/// call them. Their answers are streamed (NDJSON) and read here line by line, so memory stays constant; they are sent
/// once, without retries, and without <see cref="TallyClientOptions.RequestTimeout"/> (an audit of a large database
/// takes minutes; cancel through the token instead).
/// </summary>
public sealed class AdminClient
{
    private readonly TallyTransport _transport;

    internal AdminClient(TallyTransport transport) => _transport = transport;

    /// <summary>
    /// <c>admin.audit</c>: recomputes every balance (or one customer's) from the ledger and yields each difference, a
    /// progress line per batch of customers, and a last <c>done</c> line. A sequence that ends without <c>done</c> was cut
    /// off and proves nothing.
    /// </summary>
    /// <param name="parameters">Which customer, or all when <see cref="AuditParams.CustomerId"/> is null.</param>
    /// <param name="ct">Cancels the call and stops reading.</param>
    /// <returns>The answer's lines as they arrive.</returns>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>customer_not_found</c> for an unknown customer).</exception>
    public IAsyncEnumerable<AuditLine> AuditAsync(AuditParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return _transport.StreamLinesAsync("admin.audit", parameters, C.Default.AuditParams, C.Default.AuditLine, ct);
    }

    /// <summary>
    /// <c>admin.export_usage</c>: per customer, feature and calendar month (UTC) of the range, the usage, included
    /// allowance and overage, as rows followed by a last <c>done</c> line. A sequence that ends without <c>done</c> was cut off.
    /// </summary>
    /// <param name="parameters">The range (epoch ms, end exclusive, at most ten years) and optionally one customer.</param>
    /// <param name="ct">Cancels the call and stops reading.</param>
    /// <returns>The answer's lines as they arrive.</returns>
    /// <exception cref="TallyApiException">The server refused the call (400 <c>invalid_inputs</c> for a bad range, 404 <c>customer_not_found</c>).</exception>
    public IAsyncEnumerable<UsageExportLine> ExportUsageAsync(ExportUsageParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return _transport.StreamLinesAsync("admin.export_usage", parameters, C.Default.ExportUsageParams, C.Default.UsageExportLine, ct);
    }
}
