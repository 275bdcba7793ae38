using Tally.Contracts;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Features;

internal static class GetFeature
{
    public static async Task<Reply> Handle(Call<GetFeatureParams> call)
    {
        var catalog = await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        return catalog.Feature(call.Request.FeatureId) is { } f
            ? Reply.Ok(f.ToWire(), TallyJsonContext.Default.Feature)
            : Errors.FeatureNotFound(call.Tenant, call.Request.FeatureId);
    }
}

internal static class ListFeatures
{
    public static async Task<Reply> Handle(Call<EmptyParams> call)
    {
        var catalog = await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        var list = catalog.Features.OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal).Select(f => f.ToWire()).ToList();
        return Reply.Ok(new ListResponse<Feature> { List = list }, TallyJsonContext.Default.ListResponseFeature);
    }
}
