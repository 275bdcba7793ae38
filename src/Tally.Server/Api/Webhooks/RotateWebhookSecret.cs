using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Webhooks;

/// <summary>
/// <c>webhooks.rotate_secret</c>: a new signing secret, shown once. For 24 hours deliveries carry signatures with
/// both the new and the previous secret, so a receiver can switch without rejecting anything.
/// </summary>
internal static class RotateWebhookSecret
{
    public static async Task<Reply> Handle(Call<WebhookIdParams> call)
    {
        var t = call.Tenant;
        var id = call.Request.Id;
        if (WebhookWire.CheckId(t, call.Request) is { } invalid)
        {
            return invalid;
        }
        var store = call.Webhooks();
        if (await store.GetWebhookAsync(t, id, call.Ct).ConfigureAwait(false) is not { } current)
        {
            return WebhookWire.NotFound(t, id);
        }
        var rotated = Rotate(current, WebhookSigning.NewSecret(), call.Clock.Now);
        return await store.UpdateWebhookAsync(rotated, call.Ct).ConfigureAwait(false)
            ? Reply.Ok(new WebhookSecretResponse { Id = id, Secret = rotated.Secret }, TallyJsonContext.Default.WebhookSecretResponse)
            : WebhookWire.NotFound(t, id);
    }

    /// <summary>The decision: the endpoint signing with <paramref name="secret"/>, and with its old secret for the overlap.</summary>
    public static WebhookEndpoint Rotate(WebhookEndpoint current, string secret, DateTimeOffset now) => current with
    {
        Secret = secret,
        PreviousSecret = current.Secret,
        PreviousSecretExpiresAt = now + WebhookSigning.RotationOverlap,
    };
}
