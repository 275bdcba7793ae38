using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Plans;

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
        return await CatalogUnit.RunAsync(call, (r.PlanId, r.AllVersions == true ? (int?)null : latest.Version), Decide, call.Idempotency())
            .ConfigureAwait(false);
    }

    /// <summary>The decision: deletes one version of the plan, or all of them (null).</summary>
    public static CatalogDecision<Reply> Decide(Catalog catalog, (string PlanId, int? Version) cmd, TenantId t)
    {
        var changes = new CatalogChanges();
        changes.DeletePlans.Add(cmd);
        return CatalogUnit.Commit(changes, Reply.Success);
    }
}
