using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Dashboard;

/// <summary>What a use case answered: the parsed success value, or the status and message of its error.</summary>
internal sealed record Answer<T>(int Status, T? Value, string? Error)
{
    public bool Ok => Error is null && Value is not null;
}

/// <summary>
/// Calls a route's own handler in-process, so every read and every action of the dashboard is the same use case the
/// API runs (same validation, same unit of work, same idempotency), never a second path to the store. The request is
/// serialized exactly as a client would send it, and an action's idempotency key travels as the header would.
/// </summary>
internal static class InProcess
{
    public static async Task<Answer<TResponse>> RunAsync<TRequest, TResponse>(HttpContext http, TenantId tenant, string route,
        TRequest request, JsonTypeInfo<TRequest> requestInfo, Func<Call<TRequest>, Task<Reply>> handler, JsonTypeInfo<TResponse> responseInfo,
        string? idempotencyKey = null)
    {
        var reply = await SendAsync(http, tenant, route, request, requestInfo, handler, idempotencyKey).ConfigureAwait(false);
        if (reply.IsSuccess)
        {
            return new Answer<TResponse>(reply.Status, JsonSerializer.Deserialize(reply.Body, responseInfo), null);
        }
        return new Answer<TResponse>(reply.Status, default, ErrorOf(route, reply));
    }

    /// <summary>An action whose answer body the dashboard does not show: the error message, or null on success.</summary>
    public static async Task<(int Status, string? Error)> ActAsync<TRequest>(HttpContext http, TenantId tenant, string route, TRequest request,
        JsonTypeInfo<TRequest> requestInfo, Func<Call<TRequest>, Task<Reply>> handler, string idempotencyKey)
    {
        var reply = await SendAsync(http, tenant, route, request, requestInfo, handler, idempotencyKey).ConfigureAwait(false);
        return (reply.Status, reply.IsSuccess ? null : ErrorOf(route, reply));
    }

    private static string ErrorOf(string route, Reply reply) =>
        JsonSerializer.Deserialize(reply.Body, TallyJsonContext.Default.ErrorResponse)?.Message ?? $"{route} failed ({reply.Status})";

    private static async Task<Reply> SendAsync<TRequest>(HttpContext http, TenantId tenant, string route, TRequest request,
        JsonTypeInfo<TRequest> requestInfo, Func<Call<TRequest>, Task<Reply>> handler, string? idempotencyKey)
    {
        var inner = new DefaultHttpContext { RequestServices = http.RequestServices, RequestAborted = http.RequestAborted };
        inner.SetTenant(tenant);
        if (idempotencyKey is not null)
        {
            inner.Request.Headers["Idempotency-Key"] = idempotencyKey;
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestInfo);
        return await handler(new Call<TRequest>(inner, route, request, body)).ConfigureAwait(false);
    }
}
