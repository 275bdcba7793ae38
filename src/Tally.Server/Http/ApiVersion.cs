using System.Text.RegularExpressions;
using Tally.Contracts;

namespace Tally.Server.Http;

/// <summary>
/// <c>x-api-version</c>: every version from 2.1 on is served with the 2.3 contract (2.4 changed no field Tally
/// serves); an absent header means the latest. Older versions had other shapes and are refused.
/// </summary>
public static partial class ApiVersion
{
    private static readonly HashSet<string> CalVer = ["2026-03-17", "2026-03-18", "2026-05-13"];

    public static bool IsSupported(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return true;
        }
        var v = header.Trim();
        if (v.EndsWith(".clover", StringComparison.Ordinal))
        {
            v = v[..^7];
        }
        if (CalVer.Contains(v))
        {
            return true;
        }
        var m = SemVer().Match(v);
        if (!m.Success)
        {
            return false;
        }
        var major = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var minor = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return major == 2 && minor is >= 1 and <= 4;
    }

    public static IApplicationBuilder UseApiVersion(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var header = http.Request.Headers["x-api-version"].ToString();
        if (http.Request.Path.StartsWithSegments("/v1") && !IsSupported(header))
        {
            await Reply.Error(400, ErrorCodes.InvalidApiVersion,
                    $"\"{header}\" is not a valid API version (Tally serves 2.1 to 2.4 with the 2.3 contract)", http.Tenant())
                .WriteAsync(http).ConfigureAwait(false);
            return;
        }
        await next(http).ConfigureAwait(false);
    });

    [GeneratedRegex(@"^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")]
    private static partial Regex SemVer();
}
