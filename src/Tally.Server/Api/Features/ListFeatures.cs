using Tally.Contracts;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Features;

/// <summary>features.list: every feature, oldest first.</summary>
internal static class ListFeatures
{
    public static async Task<Reply> Handle(Call<EmptyParams> call) =>
        Decide(await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false));

    /// <summary>The decision: the catalog's features in creation order (ties by id).</summary>
    public static Reply Decide(Core.Domain.Catalog catalog)
    {
        var list = catalog.Features.OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal).Select(f => f.ToWire()).ToList();
        return Reply.Ok(new ListResponse<Feature> { List = list }, TallyJsonContext.Default.ListResponseFeature);
    }
}
