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
        // Digits beyond an int (99999999999) are simply not a version Tally serves.
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var minor = 0;
        return int.TryParse(m.Groups[1].Value, inv, out var major)
            && (!m.Groups[2].Success || int.TryParse(m.Groups[2].Value, inv, out minor))
            && major == 2 && minor is >= 1 and <= 4;
    }

    public static IApplicationBuilder UseApiVersion(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var header = http.Request.Headers["x-api-version"].ToString();
        if (http.Request.Path.StartsWithSegments("/v1") && !IsSupported(header))
        {
            await Reply.Error(400, ErrorCodes.InvalidApiVersion,
                    $"x-api-version header: \"{RequestHeaders.Echo(header)}\" is not a valid API version (Tally serves 2.1 to 2.4 with the 2.3 contract)", http.Tenant())
                .WriteAsync(http).ConfigureAwait(false);
            return;
        }
        await next(http).ConfigureAwait(false);
    });

    [GeneratedRegex(@"^(\d+)(?:\.(\d+))?(?:\.(\d+))?$")]
    private static partial Regex SemVer();
}
