using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;
using Tally.Server.Mapping;

using Plan = Tally.Contracts.Plan;

namespace Tally.Server.Api.Plans;

/// <summary>plans.list: the latest version of every plan (or every version), oldest first, archived ones on request.</summary>
internal static class ListPlans
{
    public static async Task<Reply> Handle(Call<ListPlansParams> call) =>
        Decide(await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false), call.Request, call.Tenant);

    /// <summary>The decision: the plans the body asks for, in creation order (ties by id, then version).</summary>
    public static Reply Decide(Catalog catalog, ListPlansParams r, TenantId t)
    {
        var plans = r.AllVersions == true ? catalog.AllPlanVersions : catalog.LatestPlans;
        var list = plans.Where(p => r.IncludeArchived == true || !p.Archived)
            .OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Version)
            .Select(p => p.ToWire(t)).ToList();
        return Reply.Ok(new ListResponse<Plan> { List = list }, TallyJsonContext.Default.ListResponsePlan);
    }
}
