using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Features;

/// <summary>features.delete: refused while a plan or a credit system uses the feature (archive it instead).</summary>
internal static class DeleteFeature
{
    public static async Task<Reply> Handle(Call<DeleteFeatureParams> call)
    {
        var t = call.Tenant;
        var id = call.Request.FeatureId;
        // Read outside the catalog unit: a grant created in the instant between this read and the delete is the
        // one race left; it is as rare as deleting a feature while granting it.
        if (await call.Store.IsFeatureHeldAsync(t, id, call.Ct).ConfigureAwait(false))
        {
            return Errors.BadRequest(t, $"Feature {id} is held by customers' balances and cannot be deleted; archive it instead");
        }
        return await CatalogUnit.RunAsync(call, id, Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The decision: the feature goes unless a plan or a credit system's schema uses it.</summary>
    public static CatalogDecision<Reply> Decide(Catalog catalog, string id, TenantId t)
    {
        if (catalog.Feature(id) is null)
        {
            return CatalogUnit.Fail(Errors.FeatureNotFound(t, id));
        }
        if (catalog.IsFeatureUsedByPlan(id))
        {
            return CatalogUnit.Fail(Errors.BadRequest(t, $"Feature {id} is used by a plan and cannot be deleted; archive it instead"));
        }
        if (catalog.CreditSystemsContaining(id).Count > 0)
        {
            return CatalogUnit.Fail(Errors.BadRequest(t, $"Feature {id} is part of a credit system's schema and cannot be deleted"));
        }
        var changes = new CatalogChanges();
        changes.DeleteFeatures.Add(id);
        return CatalogUnit.Commit(changes, Reply.Success);
    }
}
