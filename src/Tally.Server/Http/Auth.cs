using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Server.Http;

/// <summary>
/// Resolves <c>Authorization: Bearer am_sk_…</c> to an organization and environment. Keys are compared by
/// SHA-256 hash only; the raw key is never stored or logged.
/// </summary>
public sealed class KeyResolver(ITallyStore store)
{
    // Keyed by the presented token so a known key costs one lookup, not a SHA-256 per request; it lives only in
    // this process's memory (never stored or logged), and only keys the store accepted are remembered.
    private readonly ConcurrentDictionary<string, ApiKeyMatch> _known = new(StringComparer.Ordinal);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async ValueTask<ApiKeyMatch?> ResolveAsync(string key, CancellationToken ct)
    {
        if (_known.TryGetValue(key, out var match))
        {
            return match;
        }
        match = await store.FindApiKeyAsync(Hash(key), ct).ConfigureAwait(false);
        if (match is not null)
        {
            _known[key] = match;
        }
        return match;
    }
}

public static class AuthMiddleware
{
    private const string TenantKey = "tally.tenant";

    public static TenantId Tenant(this HttpContext http) => (TenantId)http.Items[TenantKey]!;

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
        http.Items[TenantKey] = new TenantId(match.OrgId, match.Env);
        await next(http).ConfigureAwait(false);
    });
}
