using Tally.Contracts;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Plans;

internal static class GetPlan
{
    public static async Task<Reply> Handle(Call<GetPlanParams> call)
    {
        var catalog = await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        return catalog.Plan(call.Request.PlanId, call.Request.Version) is { } p
            ? Reply.Ok(p.ToWire(call.Tenant), TallyJsonContext.Default.Plan)
            : Errors.PlanNotFound(call.Tenant, call.Request.PlanId);
    }
}

internal static class ListPlans
{
    public static async Task<Reply> Handle(Call<ListPlansParams> call)
    {
        var r = call.Request;
        var catalog = await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        var plans = r.AllVersions == true ? catalog.AllPlanVersions : catalog.LatestPlans;
        var list = plans.Where(p => r.IncludeArchived == true || !p.Archived)
            .OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Version)
            .Select(p => p.ToWire(call.Tenant)).ToList();
        return Reply.Ok(new ListResponse<Plan> { List = list }, TallyJsonContext.Default.ListResponsePlan);
    }
}
