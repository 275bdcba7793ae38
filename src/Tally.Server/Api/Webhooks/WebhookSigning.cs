using System.Security.Cryptography;
using System.Text;
using Tally.Core.Storage;

namespace Tally.Server.Api.Webhooks;

/// <summary>
/// Secrets and signatures per the Standard Webhooks specification (what Svix sends): the key is the base64 after
/// <c>whsec_</c>; the signature is <c>v1,</c> and the base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>.
/// </summary>
public static class WebhookSigning
{
    public const string SecretPrefix = "whsec_";

    /// <summary>How long the previous secret keeps signing after a rotation, so receivers can switch over.</summary>
    public static readonly TimeSpan RotationOverlap = TimeSpan.FromHours(24);

    /// <summary>A new secret: <c>whsec_</c> and the base64 of 32 bytes from the OS CSPRNG.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string id, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>The <c>webhook-signature</c> header: the current secret's signature, and the previous one's while it overlaps.</summary>
    public static string SignatureHeader(WebhookEndpoint endpoint, string id, long timestamp, string body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var header = Sign(endpoint.Secret, id, timestamp, body);
        return endpoint.PreviousSecret is { } previous && endpoint.PreviousSecretExpiresAt > now
            ? header + " " + Sign(previous, id, timestamp, body)
            : header;
    }
}
