using System.Text.Json.Serialization.Metadata;
using Tally.Contracts;
using Tally.Core.Domain;

namespace Tally.Server.Http;

/// <summary>A finished wire answer: status and JSON bytes. Idempotent replays store and resend exactly these bytes.</summary>
public sealed record Reply(int Status, byte[] Body)
{
    public bool Replayed { get; init; }

    public bool IsSuccess => Status is >= 200 and < 300;

    public static Reply Ok<T>(T value, JsonTypeInfo<T> info) => new(200, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, info));

    public static readonly Reply Success = Ok(new SuccessResponse { Success = true }, TallyJsonContext.Default.SuccessResponse);

    public static Reply Error(int status, string code, string message, TenantId? tenant = null) =>
        new(status, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new ErrorResponse { Message = message, Code = code, Env = tenant?.EnvName },
            TallyJsonContext.Default.ErrorResponse));

    public Task WriteAsync(HttpContext http)
    {
        http.Response.StatusCode = Status;
        http.Response.ContentType = "application/json";
        if (Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }
        http.Response.ContentLength = Body.Length;
        return http.Response.Body.WriteAsync(Body).AsTask();
    }
}

/// <summary>The error answers of autumn-api.md §6, with messages that name what was wrong.</summary>
public static class Errors
{
    public static Reply Invalid(TenantId t, string message) => Reply.Error(400, ErrorCodes.InvalidInputs, message, t);

    public static Reply BadRequest(TenantId t, string message) => Reply.Error(400, ErrorCodes.InvalidRequest, message, t);

    public static Reply CustomerNotFound(TenantId t, string id) => Reply.Error(404, ErrorCodes.CustomerNotFound, $"Customer {id} not found", t);

    public static Reply EntityNotFound(TenantId t, string id) => Reply.Error(404, ErrorCodes.EntityNotFound, $"Entity {id} not found", t);

    public static Reply FeatureNotFound(TenantId t, string id) => Reply.Error(404, ErrorCodes.FeatureNotFound, $"Feature {id} not found", t);

    public static Reply PlanNotFound(TenantId t, string id) => Reply.Error(404, ErrorCodes.ProductNotFound, $"Plan {id} not found", t);

    public static Reply Conflict(TenantId t, string code, string message) => Reply.Error(409, code, message, t);

    public static Reply DuplicateKey(TenantId t) => Reply.Error(409, ErrorCodes.DuplicateIdempotencyKey,
        "This idempotency key was already used with a different request", t);
}
