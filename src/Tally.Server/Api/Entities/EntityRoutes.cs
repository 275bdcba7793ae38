using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Entities;

/// <summary>Finds the customer owning an entity when the caller did not name it.</summary>
internal static class Owner
{
    public static async Task<(string? CustomerId, Reply? Error)> ResolveAsync<T>(Call<T> call, string entityId, string? customerId)
    {
        if (customerId is not null)
        {
            return (customerId, null);
        }
        var owners = await call.Store.FindEntityOwnersAsync(call.Tenant, entityId, call.Ct).ConfigureAwait(false);
        // A retried entities.delete no longer finds its entity: answer it from the key if it has one.
        if (owners.Count == 0 && await call.EarlierAnswerAsync(call.Idempotency()).ConfigureAwait(false) is { } earlier)
        {
            return (null, earlier);
        }
        return owners.Count switch
        {
            0 => (null, Errors.EntityNotFound(call.Tenant, entityId)),
            1 => (owners[0], null),
            _ => (null, Errors.Invalid(call.Tenant, $"customer_id: required, entity {entityId} exists under several customers")),
        };
    }
}

internal static class GetEntity
{
    public static async Task<Reply> Handle(Call<GetEntityParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var (customerId, error) = await Owner.ResolveAsync(call, r.EntityId, r.CustomerId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var result = await call.Store.MutateCustomerAsync(t, customerId!, (state, cat) =>
        {
            if (state is null)
            {
                return Units.Fail(Errors.CustomerNotFound(t, customerId!));
            }
            if (state.FindEntity(r.EntityId) is not { } e)
            {
                return Units.Fail(Errors.EntityNotFound(t, r.EntityId));
            }
            var now = call.Clock.NowFor(state.Customer);
            var w = Units.Begin(call, state, cat, now);
            return Units.Answer(w, Reply.Ok(CustomerWire.ToWire(w, cat, t, e, now), TallyJsonContext.Default.EntityResponse));
        }, null, call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}

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
            var one = await call.Store.MutateCustomerAsync(t, group.Key, (state, cat) =>
            {
                if (state is null)
                {
                    return new Decision<List<EntityResponse>>([]);
                }
                var now = call.Clock.NowFor(state.Customer);
                var w = Units.Begin(call, state, cat, now);
                return new Decision<List<EntityResponse>>(ids.Select(id => w.Entity(id)).OfType<Entity>()
                    .Select(e => CustomerWire.ToWire(w, cat, t, e, now)).ToList(), w.ToChanges());
            }, null, call.Ct).ConfigureAwait(false);
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
}

internal static class UpdateEntity
{
    public static async Task<Reply> Handle(Call<UpdateEntityParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.BillingControls is { } b && b.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return Errors.Invalid(t, "billing_controls: must be an object");
        }
        var (customerId, error) = await Owner.ResolveAsync(call, r.EntityId, r.CustomerId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var result = await call.Store.MutateCustomerAsync(t, customerId!, (state, cat) =>
        {
            if (state is null)
            {
                return Units.Fail(Errors.CustomerNotFound(t, customerId!));
            }
            if (state.FindEntity(r.EntityId) is not { } e)
            {
                return Units.Fail(Errors.EntityNotFound(t, r.EntityId));
            }
            var now = call.Clock.NowFor(state.Customer);
            var w = Units.Begin(call, state, cat, now);
            var updated = e with { BillingControlsJson = Json.Raw(r.BillingControls) ?? e.BillingControlsJson };
            w.Put(updated);
            var reply = Reply.Ok(CustomerWire.ToWire(w, cat, t, updated, now), TallyJsonContext.Default.EntityResponse);
            return Units.Commit(w, reply);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}

/// <summary>entities.delete: removes the entity and its own balances, and gives its seat back to the customer.</summary>
internal static class DeleteEntity
{
    public static async Task<Reply> Handle(Call<DeleteEntityParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var (customerId, error) = await Owner.ResolveAsync(call, r.EntityId, r.CustomerId).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }
        var result = await call.Store.MutateCustomerAsync(t, customerId!, (state, cat) =>
        {
            if (state is null)
            {
                return Units.Fail(Errors.CustomerNotFound(t, customerId!));
            }
            var now = call.Clock.NowFor(state.Customer);
            var w = Units.Begin(call, state, cat, now);
            return Core.Engine.Entities.Delete(w, cat, r.EntityId, now, call.Ids) == EntityStatus.NotFound
                ? Units.Fail(Errors.EntityNotFound(t, r.EntityId))
                : Units.Commit(w, Reply.Success);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
