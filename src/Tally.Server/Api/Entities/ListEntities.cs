using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Entities;

/// <summary>entities.list: creation order across the organization (or one customer), cursor paginated.</summary>
internal static class ListEntities
{
    public static async Task<Reply> Handle(Call<ListEntitiesParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var limit = r.Limit ?? 50;
        if (limit is < 1 or > 1000)
        {
            return Errors.Invalid(t, "limit: must be between 1 and 1000");
        }
        if (!Cursor.TryDecode(r.StartCursor, "ent", out var after))
        {
            return Reply.Error(400, ErrorCodes.InvalidCursor, "start_cursor: not a cursor returned by entities.list", t);
        }
        var rows = await call.Store.ListEntitiesAsync(t, r.CustomerId, after, limit + 1, call.Ct).ConfigureAwait(false);
        var page = rows.Take(limit).ToList();
        var list = new List<EntityResponse>(page.Count);
        foreach (var group in page.GroupBy(p => p.CustomerId))
        {
            var ids = group.Select(g => g.EntityId).ToList();
            var one = await CustomerUnit.MutateAsync(call, group.Key, ids, Decide, null).ConfigureAwait(false);
            list.AddRange(one.Result!);
        }
        var order = page.Select((p, i) => (p.CustomerId, p.EntityId, i)).ToDictionary(x => (x.CustomerId, x.EntityId), x => x.i);
        list = list.OrderBy(e => order[(e.CustomerId!, e.Id!)]).ToList();
        var response = new CursorListResponse<EntityResponse>
        {
            List = list,
            NextCursor = rows.Count > limit ? Cursor.Encode("ent", page[^1].Seq) : null,
        };
        return Reply.Ok(response, TallyJsonContext.Default.CursorListResponseEntityResponse);
    }

    /// <summary>
    /// The decision for one customer's listed entities: the wire shape of each that still exists, at the customer's
    /// now; what settling changed is committed, as a get would.
    /// </summary>
    public static Decision<List<EntityResponse>> Decide(CustomerState? state, Catalog cat, IReadOnlyList<string> entityIds, UnitContext u)
    {
        if (state is null)
        {
            return new Decision<List<EntityResponse>>([]);
        }
        var w = u.Open(state, cat);
        return new Decision<List<EntityResponse>>(entityIds.Select(id => w.Entity(id)).OfType<Entity>()
            .Select(e => CustomerWire.ToWire(w, cat, u.Tenant, e, u.Now)).ToList(), w.ToChanges());
    }
}
