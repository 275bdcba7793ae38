using System.Text.Json;
using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>events.*</c>: the usage event log.</summary>
public sealed class EventsClient
{
    private readonly TallyTransport _transport;

    internal EventsClient(TallyTransport transport) => _transport = transport;

    /// <summary><c>events.list</c>: one page of events, newest first.</summary>
    /// <param name="parameters">Filters, page size and the cursor of the page (null = first page, default size).</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The page and the cursor of the next one (null on the last page).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<CursorListResponse<EventItem>> ListAsync(ListEventsParams? parameters = null, CancellationToken ct = default) =>
        _transport.PostAsync("events.list", parameters ?? new ListEventsParams(), C.Default.ListEventsParams,
            C.Default.CursorListResponseEventItem, mutating: false, ct);

    /// <summary>
    /// Every event matching <paramref name="parameters"/>, newest first, following <c>next_cursor</c> lazily from page to
    /// page; <see cref="ListEventsParams.Limit"/> sets the page size.
    /// </summary>
    /// <param name="parameters">Filters, page size and an optional starting cursor; not modified.</param>
    /// <param name="ct">Cancels the walk.</param>
    /// <returns>The events.</returns>
    public IAsyncEnumerable<EventItem> ListAllAsync(ListEventsParams? parameters = null, CancellationToken ct = default) =>
        Paging.AllAsync(_transport, "events.list",
            JsonSerializer.SerializeToUtf8Bytes(parameters ?? new ListEventsParams(), C.Default.ListEventsParams),
            C.Default.CursorListResponseEventItem, ct);

    /// <summary>
    /// <c>events.aggregate</c>: tracked usage (refunds included) of one or more features binned in UTC over a range,
    /// every bin present, with per-feature totals; optionally grouped, filtered by properties, or broken down per balance.
    /// </summary>
    /// <param name="parameters">The features, exactly one of <c>range</c> and <c>custom_range</c>, and the optional scope,
    /// bin size, grouping, filters and <c>aggregate_on</c>.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The bins (<c>list</c>), the totals, and the deductions when asked for.</returns>
    /// <exception cref="TallyApiException">The server refused the call (400 naming the field, 404 for an unknown customer).</exception>
    public Task<AggregateEventsResponse> AggregateAsync(AggregateEventsParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return _transport.PostAsync("events.aggregate", parameters, C.Default.AggregateEventsParams,
            C.Default.AggregateEventsResponse, mutating: false, ct);
    }
}
