using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Plans;

/// <summary>
/// plans.update: changes to a plan version that no customer has are made in place; once customers have it,
/// a change to its price or items makes a new version (existing customers keep theirs).
/// </summary>
internal static class UpdatePlan
{
    public static async Task<Reply> Handle(Call<UpdatePlanParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.NewPlanId is not null && r.NewPlanId != r.PlanId)
        {
            return Errors.BadRequest(t, "new_plan_id: renaming a plan is not supported; create a new plan");
        }
        if (r.Name is { } n && string.IsNullOrWhiteSpace(n))
        {
            return Errors.Invalid(t, "name: must be a non-empty string");
        }
        var (price, priceError) = PlanRules.Price(t, r.Price);
        if (priceError is not null)
        {
            return priceError;
        }
        var catalogNow = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalogNow.Plan(r.PlanId) is not { } latest)
        {
            return Errors.PlanNotFound(t, r.PlanId);
        }
        var attached = await call.Store.IsPlanAttachedAsync(t, latest.Id, latest.Version, call.Ct).ConfigureAwait(false);
        var now = call.Clock.Now;
        var result = await call.Store.MutateCatalogAsync(t, catalog =>
        {
            if (catalog.Plan(r.PlanId) is not { } current)
            {
                return new CatalogDecision<Reply>(Errors.PlanNotFound(t, r.PlanId));
            }
            List<Core.Domain.PlanItem>? items = null;
            if (r.Items is not null)
            {
                var (parsed, error) = PlanRules.Items(t, r.Items, catalog);
                if (error is not null)
                {
                    return new CatalogDecision<Reply>(error);
                }
                items = parsed;
            }
            var updated = current with
            {
                Name = r.Name ?? current.Name,
                Description = r.Description ?? current.Description,
                Group = r.Group is null ? current.Group : PlanRules.Group(r.Group),
                AddOn = r.AddOn ?? current.AddOn,
                AutoEnable = r.AutoEnable ?? current.AutoEnable,
                Price = r.Price is not null ? price : r.PriceSpecified ? null : current.Price,
                Items = items ?? current.Items,
                Archived = r.Archived ?? current.Archived,
                MetadataJson = PlanRules.Metadata(r.Metadata, current.MetadataJson),
                ConfigJson = PlanRules.Metadata(r.Config, current.ConfigJson),
            };
            var billingChanged = updated.Price != current.Price || !updated.Items.SequenceEqual(current.Items);
            var newVersion = billingChanged && attached && current.Version == latest.Version;
            if (newVersion)
            {
                updated = updated with { Version = current.Version + 1, CreatedAt = now };
            }
            var changes = new CatalogChanges();
            changes.UpsertPlans.Add(updated);
            var reply = Reply.Ok(updated.ToWire(t), TallyJsonContext.Default.Plan);
            return new CatalogDecision<Reply>(reply, changes, reply.Body);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}

/// <summary>plans.delete: refused while customers have the plan (archive it instead).</summary>
internal static class DeletePlan
{
    public static async Task<Reply> Handle(Call<DeletePlanParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalog.Plan(r.PlanId) is not { } latest)
        {
            return Errors.PlanNotFound(t, r.PlanId);
        }
        var versions = r.AllVersions == true ? catalog.AllPlanVersions.Where(p => p.Id == r.PlanId).ToList() : [latest];
        foreach (var v in versions)
        {
            if (await call.Store.IsPlanAttachedAsync(t, v.Id, v.Version, call.Ct).ConfigureAwait(false))
            {
                return Errors.BadRequest(t, $"Plan {v.Id} version {v.Version} is attached to customers; archive it instead");
            }
        }
        var result = await call.Store.MutateCatalogAsync(t, _ =>
        {
            var changes = new CatalogChanges();
            changes.DeletePlans.Add((r.PlanId, r.AllVersions == true ? null : latest.Version));
            return new CatalogDecision<Reply>(Reply.Success, changes, Reply.Success.Body);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
