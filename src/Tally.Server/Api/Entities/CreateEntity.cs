using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Api.Customers;
using Tally.Server.Http;
using Tally.Server.Mapping;

using Customer = Tally.Core.Domain.Customer;
using Feature = Tally.Core.Domain.Feature;

namespace Tally.Server.Api.Entities;

/// <summary>
/// entities.create: a seat/workspace typed by a continuous-use feature. It takes one unit of that feature from the
/// customer (free seats may go past their allowance; priced seats stop at max_purchase with feature_limit_reached)
/// and receives its own sub-balances of per-entity plan items. A missing customer is created (as Autumn does).
/// </summary>
internal static class CreateEntity
{
    public static async Task<Reply> Handle(Call<CreateEntityParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (CustomerRules.CheckId(t, r.CustomerId) is { } badCustomer)
        {
            return badCustomer;
        }
        if (CustomerRules.CheckId(t, r.EntityId, "entity_id") is { } badEntity)
        {
            return badEntity;
        }
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalog.Feature(r.FeatureId) is not { } feature)
        {
            return Errors.FeatureNotFound(t, r.FeatureId);
        }
        if (!feature.IsContinuous)
        {
            return Errors.Invalid(t, $"feature_id: {feature.Id} must be a continuous-use (metered, consumable: false) feature to type entities");
        }
        if (ControlRules.Validate(t, r.BillingControls) is { } badControls)
        {
            return badControls;
        }
        if (r.CustomerData is { } cd && cd.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null))
        {
            return Errors.Invalid(t, "customer_data: must be an object");
        }
        return await CustomerUnit.RunRawAsync(call, r.CustomerId, new Command(r, feature), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body and the continuous-use feature that types the entity.</summary>
    public readonly record struct Command(CreateEntityParams Request, Feature Feature);

    /// <summary>The decision: creates the entity (and the customer first, when it does not exist yet).</summary>
    public static Decision<Reply> Decide(CustomerState? state, Catalog cat, Command cmd, UnitContext u)
    {
        var (t, r, now, feature) = (u.Tenant, cmd.Request, u.Now, cmd.Feature);
        var w = state is null ? NewCustomer(cat, r, u) : u.Open(state, cat);
        var entity = new Entity
        {
            Id = r.EntityId,
            FeatureId = feature.Id,
            Name = r.Name,
            BillingControlsJson = Json.Raw(r.BillingControls) ?? "{}",
        };
        switch (Core.Engine.Entities.Create(w, cat, entity, now, u.Ids))
        {
            case EntityStatus.AlreadyExists:
                return UnitContext.Fail(Errors.Conflict(t, ErrorCodes.EntityAlreadyExists, $"Entity {r.EntityId} already exists"));
            case EntityStatus.LimitReached:
                return UnitContext.Fail(Reply.Error(400, ErrorCodes.FeatureLimitReached,
                    $"Cannot create entity {r.EntityId}: the customer has no {feature.Id} left (max_purchase reached)", t));
        }
        var reply = Reply.Ok(CustomerWire.ToWire(w, cat, t, w.Entity(r.EntityId)!, now), TallyJsonContext.Default.EntityResponse);
        return UnitContext.Commit(w, reply);
    }

    // As Autumn does: the customer named by an entity that does not exist yet is created, with customer_data's
    // name and email and every auto_enable plan.
    private static Working NewCustomer(Catalog cat, CreateEntityParams r, UnitContext u)
    {
        var data = r.CustomerData is { ValueKind: System.Text.Json.JsonValueKind.Object } d ? d : default;
        string? Field(string name) => data.ValueKind == System.Text.Json.JsonValueKind.Object
            && data.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
        var customer = new Customer { Id = r.CustomerId, Name = Field("name"), Email = Field("email"), CreatedAt = u.Now };
        var w = new Working(new CustomerState(customer), customerIsNew: true);
        foreach (var plan in cat.LatestPlans.Where(p => p.AutoEnable && !p.Archived).OrderBy(p => p.CreatedAt))
        {
            Grants.Attach(w, cat, plan, null, new Dictionary<string, decimal>(), u.Now, u.Ids);
        }
        return w;
    }
}
