using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

using Customer = Tally.Contracts.Customer;

namespace Tally.Server.Api.Customers;

/// <summary>
/// customers.list: newest first by default (sort_order desc, as the SDK documents) or oldest first (asc), cursor paginated
/// ({list, next_cursor}), optional search on id, name, email.
/// </summary>
internal static class ListCustomers
{
    public const int MaxLimit = 1000;

    public static async Task<Reply> Handle(Call<ListCustomersParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var limit = r.Limit ?? 50;
        if (limit is < 1 or > MaxLimit)
        {
            return Errors.Invalid(t, $"limit: must be between 1 and {MaxLimit}");
        }
        if (r.SortOrder is not (null or "asc" or "desc"))
        {
            return Errors.Invalid(t, "sort_order: must be asc or desc");
        }
        var newestFirst = r.SortOrder != "asc";
        var kind = newestFirst ? "cusd" : "cus";
        if (!Cursor.TryDecode(r.StartCursor, kind, out var after))
        {
            return Reply.Error(400, ErrorCodes.InvalidCursor, "start_cursor: not a cursor returned by customers.list with this sort_order", t);
        }
        var ids = await call.Store.ListCustomersAsync(t, after, limit + 1, string.IsNullOrEmpty(r.Search) ? null : r.Search, call.Ct,
            newestFirst).ConfigureAwait(false);
        var page = ids.Take(limit).ToList();
        var list = new List<Customer>(page.Count);
        foreach (var (id, _) in page)
        {
            var one = await CustomerUnit.MutateAsync(call, id, false, Decide, null).ConfigureAwait(false);
            if (one.Result is { } c)
            {
                list.Add(c);
            }
        }
        var response = new CursorListResponse<Customer>
        {
            List = list,
            NextCursor = ids.Count > limit ? Cursor.Encode(kind, page[^1].Seq) : null,
        };
        return Reply.Ok(response, TallyJsonContext.Default.CursorListResponseCustomer);
    }

    /// <summary>
    /// The decision for one listed customer: its wire shape at its own now (null when it was deleted since the
    /// listing); what settling changed is committed, as a get would.
    /// </summary>
    public static Decision<Customer?> Decide(CustomerState? state, Catalog cat, bool withEntities, UnitContext u)
    {
        if (state is null)
        {
            return new Decision<Customer?>(null);
        }
        var w = u.Open(state, cat);
        return new Decision<Customer?>(CustomerWire.ToWire(w, cat, u.Tenant, u.Now, withEntities), w.ToChanges());
    }
}
