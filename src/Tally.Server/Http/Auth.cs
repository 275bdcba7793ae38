using Tally.Contracts;
using Tally.Core.Domain;

namespace Tally.Server.Http;

public static class AuthMiddleware
{
    private const string TenantKey = "tally.tenant";

    public static TenantId Tenant(this HttpContext http) => (TenantId)http.Items[TenantKey]!;

    /// <summary>Sets the caller for an in-process call (the dashboard), which authenticates by its own session.</summary>
    public static void SetTenant(this HttpContext http, TenantId tenant) => http.Items[TenantKey] = tenant;

    public static IApplicationBuilder UseTallyAuth(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!http.Request.Path.StartsWithSegments("/v1"))
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        // HTTP stacks trim trailing whitespace, so an empty "Bearer " token arrives as a bare "Bearer".
        var header = http.Request.Headers.Authorization.ToString().Trim();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..].Trim() : header == "Bearer" ? "" : header;
        if (token.Length == 0)
        {
            await Reply.Error(401, ErrorCodes.NoSecretKey, "Secret key not found in Authorization header").WriteAsync(http).ConfigureAwait(false);
            return;
        }
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !token.StartsWith("am_sk_", StringComparison.Ordinal))
        {
            await Reply.Error(401, ErrorCodes.InvalidRequest, "Invalid authorization token prefix: expected 'Bearer am_sk_…'")
                .WriteAsync(http).ConfigureAwait(false);
            return;
        }
        var resolver = http.RequestServices.GetRequiredService<KeyResolver>();
        var match = await resolver.ResolveAsync(token, http.RequestAborted).ConfigureAwait(false);
        if (match is null)
        {
            var masked = token.Length > 15 ? token[..15] + "…" : token;
            await Reply.Error(401, ErrorCodes.InvalidSecretKey, $"Invalid secret key: {masked}").WriteAsync(http).ConfigureAwait(false);
            return;
        }
        http.Items[TenantKey] = match.Tenant;
        await next(http).ConfigureAwait(false);
    });
}
