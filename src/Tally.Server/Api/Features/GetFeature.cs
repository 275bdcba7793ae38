using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Features;

/// <summary>features.get: one feature of the catalog.</summary>
internal static class GetFeature
{
    public static async Task<Reply> Handle(Call<GetFeatureParams> call) =>
        Decide(await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false), call.Request.FeatureId, call.Tenant);

    /// <summary>The decision: the feature's wire shape, or its 404.</summary>
    public static Reply Decide(Catalog catalog, string featureId, TenantId t) => catalog.Feature(featureId) is { } f
        ? Reply.Ok(f.ToWire(), TallyJsonContext.Default.Feature)
        : Errors.FeatureNotFound(t, featureId);
}
