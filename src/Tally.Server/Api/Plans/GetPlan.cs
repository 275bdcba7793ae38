using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Plans;

/// <summary>plans.get: the latest version of a plan, or the version asked for.</summary>
internal static class GetPlan
{
    public static async Task<Reply> Handle(Call<GetPlanParams> call) =>
        Decide(await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false), call.Request, call.Tenant);

    /// <summary>The decision: the plan version's wire shape, or its 404.</summary>
    public static Reply Decide(Catalog catalog, GetPlanParams r, TenantId t) => catalog.Plan(r.PlanId, r.Version) is { } p
        ? Reply.Ok(p.ToWire(t), TallyJsonContext.Default.Plan)
        : Errors.PlanNotFound(t, r.PlanId);
}
