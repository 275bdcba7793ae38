using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Keys;

/// <summary>
/// <c>keys.revoke</c>: the key stops working at once on this node and within 5 s on every other node (see
/// <see cref="KeyResolver"/>). The environment's last active key cannot be revoked; the calling key can, if another
/// remains. Revoking a revoked key answers it again, so a retry is harmless.
/// </summary>
internal static class RevokeKey
{
    public static async Task<Reply> Handle(Call<RevokeKeyParams> call)
    {
        var t = call.Tenant;
        if (Check(t, call.Request) is { } invalid)
        {
            return invalid;
        }
        var result = await call.Store.RevokeApiKeyAsync(t, call.Request.Id, call.Ct).ConfigureAwait(false);
        var reply = Answer(t, call.Request.Id, result);
        if (reply.IsSuccess)
        {
            call.Http.RequestServices.GetRequiredService<KeyResolver>().Invalidate();
        }
        return reply;
    }

    /// <summary>The decision before the store: null when an id is given, else the 400 naming the field.</summary>
    public static Reply? Check(TenantId t, RevokeKeyParams r) =>
        string.IsNullOrWhiteSpace(r.Id) ? Errors.Invalid(t, "id: must not be empty") : null;

    /// <summary>The decision on what the store did: the revoked key, or why nothing was revoked.</summary>
    public static Reply Answer(TenantId t, string id, RevokeResult result) => result.Outcome switch
    {
        RevokeOutcome.NotFound => Reply.Error(404, ErrorCodes.KeyNotFound, $"Key {id} not found", t),
        RevokeOutcome.LastKey => Reply.Error(400, ErrorCodes.LastKey,
            $"Key {id} is the last active key of this environment; create another key before revoking it", t),
        _ => Reply.Ok(result.Key!.ToWire(), TallyJsonContext.Default.ApiKey),
    };
}
