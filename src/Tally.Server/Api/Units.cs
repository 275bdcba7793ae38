using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api;

/// <summary>Shared steps of every customer unit of work.</summary>
internal static class Units
{
    /// <summary>Opens the working view of a loaded customer at its own "now".</summary>
    public static Working Begin(CustomerState state) => new(state);

    /// <summary>A decision that answers with an error and changes nothing (so its idempotency key stays free).</summary>
    public static Decision<Reply> Fail(Reply error) => new(error);

    /// <summary>A successful decision: its changes and its exact response bytes commit together.</summary>
    public static Decision<Reply> Commit(Working w, Reply reply) => new(reply, w.ToChanges(), reply.Body);

    public static Decision<Reply> Answer(Reply reply) => new(reply);
}
