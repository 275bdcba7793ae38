using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary><c>webhooks.deliveries</c>: deliveries newest first, each with its attempts; filtered by endpoint and state.</summary>
internal static class ListWebhookDeliveries
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static async Task<Reply> Handle(Call<ListWebhookDeliveriesParams> call)
    {
        var (query, invalid) = Query(call.Tenant, call.Request);
        if (invalid is not null)
        {
            return invalid;
        }
        var rows = await call.Webhooks().ListWebhookDeliveriesAsync(call.Tenant, query!, call.Ct).ConfigureAwait(false);
        return Answer(rows, query!.Limit - 1);
    }

    /// <summary>
    /// The decision before the store: the query to run (asking for one row more than the page, so a further row means
    /// another page), or the 400 naming the field.
    /// </summary>
    public static (WebhookDeliveryQuery? Query, Reply? Invalid) Query(TenantId t, ListWebhookDeliveriesParams r)
    {
        WebhookDeliveryStatus? status = r.Status switch
        {
            null => null,
            "pending" => WebhookDeliveryStatus.Pending,
            "delivered" => WebhookDeliveryStatus.Delivered,
            "failed" => WebhookDeliveryStatus.Failed,
            _ => (WebhookDeliveryStatus)(-1),
        };
        if (status == (WebhookDeliveryStatus)(-1))
        {
            return (null, Errors.Invalid(t, "status: must be pending, delivered or failed"));
        }
        var limit = r.Limit ?? DefaultLimit;
        if (limit is < 1 or > MaxLimit)
        {
            return (null, Errors.Invalid(t, $"limit: must be between 1 and {MaxLimit}"));
        }
        // The cursor is the last delivery id of the previous page; ids sort by creation time.
        if (r.Cursor is not null && (!r.Cursor.StartsWith("whd_", StringComparison.Ordinal) || r.Cursor.Length > 64))
        {
            return (null, Reply.Error(400, ErrorCodes.InvalidCursor, "cursor: not a cursor returned by webhooks.deliveries", t));
        }
        return (new WebhookDeliveryQuery(r.WebhookId, status, r.Cursor, limit + 1), null);
    }

    /// <summary>The decision on what the store found: a page of at most <paramref name="limit"/> rows and the next cursor.</summary>
    public static Reply Answer(IReadOnlyList<WebhookDeliveryInfo> rows, int limit)
    {
        var page = rows.Take(limit).ToList();
        return Reply.Ok(new CursorListResponse<Contracts.WebhookDelivery>
        {
            List = page.Select(d => d.ToWire()).ToList(),
            NextCursor = rows.Count > limit ? page[^1].Id : null,
        }, TallyJsonContext.Default.CursorListResponseWebhookDelivery);
    }
}
