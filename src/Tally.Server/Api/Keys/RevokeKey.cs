using Tally.Contracts;
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
        var id = call.Request.Id;
        if (string.IsNullOrWhiteSpace(id))
        {
            return Errors.Invalid(t, "id: must not be empty");
        }
        var result = await call.Store.RevokeApiKeyAsync(t, id, call.Ct).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case RevokeOutcome.NotFound:
                return Reply.Error(404, ErrorCodes.KeyNotFound, $"Key {id} not found", t);
            case RevokeOutcome.LastKey:
                return Reply.Error(400, ErrorCodes.LastKey,
                    $"Key {id} is the last active key of this environment; create another key before revoking it", t);
            default:
                call.Http.RequestServices.GetRequiredService<KeyResolver>().Invalidate();
                return Reply.Ok(result.Key!.ToWire(), TallyJsonContext.Default.ApiKey);
        }
    }
}
