using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Events;

/// <summary>events.list: tracked events, newest first, each with what it deducted from which source.</summary>
internal static class ListEvents
{
    public const int MaxLimit = 1000;

    public static async Task<Reply> Handle(Call<ListEventsParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var limit = r.Limit ?? 50;
        if (limit is < 1 or > MaxLimit)
        {
            return Errors.Invalid(t, $"limit: must be between 1 and {MaxLimit}");
        }
        if (!Cursor.TryDecode(r.StartCursor, "evt", out var before))
        {
            return Reply.Error(400, ErrorCodes.InvalidCursor, "start_cursor: not a cursor returned by events.list", t);
        }
        List<string>? names = null;
        if (r.FeatureId is { } fid)
        {
            switch (fid.ValueKind)
            {
                case JsonValueKind.String:
                    names = [fid.GetString()!];
                    break;
                case JsonValueKind.Array when fid.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                    names = fid.EnumerateArray().Select(e => e.GetString()!).ToList();
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    return Errors.Invalid(t, "feature_id: must be a string or an array of strings");
            }
        }
        if (Limits.First(Limits.Timestamp(t, "custom_range.start", r.CustomRange?.Start), Limits.Timestamp(t, "custom_range.end", r.CustomRange?.End)) is { } outOfRange)
        {
            return outOfRange;
        }
        if (r.CustomRange is { Start: { } s, End: { } e } && s > e)
        {
            return Errors.Invalid(t, "custom_range: start must not be after end");
        }
        var events = await call.Store.ListEventsAsync(t, new EventQuery
        {
            CustomerId = r.CustomerId,
            EntityId = r.EntityId,
            EventNames = names,
            From = r.CustomRange?.Start is { } from ? DateTimeOffset.FromUnixTimeMilliseconds(from) : null,
            To = r.CustomRange?.End is { } to ? DateTimeOffset.FromUnixTimeMilliseconds(to) : null,
            BeforeSeq = before > 0 ? before : null,
            Limit = limit + 1,
        }, call.Ct).ConfigureAwait(false);
        return Decide(events, limit);
    }

    /// <summary>
    /// The decision: a page of at most <paramref name="limit"/> of the events found (asked for one more, so a further
    /// one means another page), each with its deductions merged per source.
    /// </summary>
    public static Reply Decide(IReadOnlyList<LedgerEvent> events, int limit)
    {
        var page = events.Take(limit).ToList();
        var response = new CursorListResponse<EventItem>
        {
            List = page.Select(e => new EventItem
            {
                Id = e.Id,
                Timestamp = BalanceWire.Ms(e.Timestamp),
                FeatureId = e.EventName,
                CustomerId = e.CustomerId,
                EntityId = e.EntityId,
                Value = e.Value,
                Properties = JsonDocument.Parse(e.PropertiesJson).RootElement.Clone(),
                Deductions = e.Deltas.GroupBy(d => d.SourceId)
                    .Select(g => BalanceWire.ToWire(g.First() with { Value = g.Sum(d => d.Value) })).ToList(),
            }).ToList(),
            NextCursor = events.Count > limit ? Cursor.Encode("evt", page[^1].Seq) : null,
        };
        return Reply.Ok(response, TallyJsonContext.Default.CursorListResponseEventItem);
    }
}
