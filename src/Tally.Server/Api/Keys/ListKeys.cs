using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Keys;

/// <summary><c>keys.list</c>: the caller's environment's keys, active and revoked, oldest first; never a secret or hash.</summary>
internal static class ListKeys
{
    public static async Task<Reply> Handle(Call<EmptyParams> call)
    {
        // This node's recorded uses first, so the caller sees its own latest use.
        await call.Http.RequestServices.GetRequiredService<KeyResolver>().FlushUsesAsync(call.Ct).ConfigureAwait(false);
        var keys = await call.Store.ListApiKeysAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        return Answer(keys);
    }

    /// <summary>The decision: the keys the store listed, in its order, as the wire shows them.</summary>
    public static Reply Answer(IReadOnlyList<ApiKeyInfo> keys) =>
        Reply.Ok(new ListResponse<ApiKey> { List = keys.Select(k => k.ToWire()).ToList() }, TallyJsonContext.Default.ListResponseApiKey);
}
