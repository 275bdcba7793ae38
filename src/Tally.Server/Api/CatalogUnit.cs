using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api;

/// <summary>
/// The catalog unit of work every catalog use case runs through: its decision is a static function of the tenant's
/// catalog, a command of plain values and the tenant, and the store's answer (done, replayed, key conflict) is mapped
/// to the wire once.
/// </summary>
internal static class CatalogUnit
{
    public static async Task<Reply> RunAsync<TRequest, TCommand>(Call<TRequest> call, TCommand command,
        Func<Catalog, TCommand, TenantId, CatalogDecision<Reply>> decide, IdempotencyRequest? idempotency)
    {
        var t = call.Tenant;
        var result = await call.Store.MutateCatalogAsync(t, catalog => decide(catalog, command, t), idempotency, call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }

    /// <summary>A decision that answers with an error and changes nothing.</summary>
    public static CatalogDecision<Reply> Fail(Reply error) => new(error);

    /// <summary>A successful decision: its changes and its exact response bytes commit together.</summary>
    public static CatalogDecision<Reply> Commit(CatalogChanges changes, Reply reply) => new(reply, changes, reply.Body);
}
