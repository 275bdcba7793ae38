using System.Net;
using System.Net.Sockets;
using Tally.Core.Domain;

namespace Tally.Server.Api.Webhooks;

/// <summary>
/// Which endpoint URLs are accepted and which addresses a delivery may connect to: only <c>http</c>/<c>https</c>;
/// private, loopback and link-local addresses only for sandbox endpoints, or for live ones when
/// <c>TALLY_WEBHOOK_ALLOW_PRIVATE=true</c>. The address check runs again at connect time, on the resolved address,
/// so a public name that resolves to a private address is refused too.
/// </summary>
public static class WebhookUrls
{
    public const int MaxLength = 2048;

    /// <summary>Null when the URL is acceptable for the environment, else why not (naming the field).</summary>
    public static string? Problem(string? url, Env env, bool allowPrivate)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "url: must not be empty";
        }
        if (url.Length > MaxLength)
        {
            return $"url: at most {MaxLength} characters";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            return "url: must be an absolute http or https URL";
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "url: must not contain credentials";
        }
        if (!PrivateAllowed(env, allowPrivate) && IsPrivateHost(uri))
        {
            return "url: private and loopback addresses are allowed for live endpoints only with TALLY_WEBHOOK_ALLOW_PRIVATE=true";
        }
        return null;
    }

    public static bool PrivateAllowed(Env env, bool allowPrivate) => env == Env.Sandbox || allowPrivate;

    private static bool IsPrivateHost(Uri uri) =>
        uri.IsLoopback || string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && IsPrivate(ip));

    /// <summary>Loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified or multicast.</summary>
    public static bool IsPrivate(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
        {
            return true;
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] >= 224;
        }
        return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || ip.IsIPv6Multicast;
    }
}
