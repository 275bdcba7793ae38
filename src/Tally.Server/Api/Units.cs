using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api;

/// <summary>Shared steps of every customer unit of work.</summary>
internal static class Units
{
    /// <summary>
    /// Opens the working view of a loaded customer at its own "now" and first applies whatever time made due
    /// (resets, rollovers, expired locks), so the request that follows a boundary sees the refilled balance in
    /// the same atomic unit.
    /// </summary>
    public static Working Begin<T>(Call<T> call, CustomerState state, Catalog catalog, DateTimeOffset now)
    {
        var w = new Working(state);
        Lifecycle.Settle(w, catalog, now, call.Policy, call.Ids);
        return w;
    }

    /// <summary>A decision that answers with an error and changes nothing (so its idempotency key stays free).</summary>
    public static Decision<Reply> Fail(Reply error) => new(error);

    /// <summary>A successful decision: its changes and its exact response bytes commit together.</summary>
    public static Decision<Reply> Commit(Working w, Reply reply) => new(reply, w.ToChanges(), reply.Body);

    /// <summary>A read: commits only what settling time changed, and keeps no idempotency record.</summary>
    public static Decision<Reply> Answer(Working w, Reply reply) => new(reply, w.ToChanges());
}
