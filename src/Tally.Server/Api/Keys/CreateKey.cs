using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Keys;

/// <summary>
/// <c>keys.create</c>: a new secret key for the caller's organization and environment. The secret is in this answer
/// only; the store keeps its hash. The answer is deliberately not kept for idempotent replay (that would store the
/// secret), so an <c>Idempotency-Key</c> header does not apply here: a retried call makes another key.
/// </summary>
internal static class CreateKey
{
    public const int MaxNameLength = 256;

    public static async Task<Reply> Handle(Call<CreateKeyParams> call)
    {
        var t = call.Tenant;
        if (Check(t, call.Request) is { } invalid)
        {
            return invalid;
        }
        var secret = KeySecrets.NewSecret(t.Env);
        var key = await call.Store.CreateApiKeyAsync(t, KeySecrets.Registration(call.Ids.NewId("key_"), secret, t.Env, call.Request.Name), call.Ct)
            .ConfigureAwait(false);
        return Answer(key, secret, t);
    }

    /// <summary>The decision before the store: null when the name is usable, else the 400 naming the field.</summary>
    public static Reply? Check(TenantId t, CreateKeyParams r)
    {
        var name = r.Name;
        if (string.IsNullOrWhiteSpace(name))
        {
            return Errors.Invalid(t, "name: must not be empty");
        }
        if (name.Length > MaxNameLength)
        {
            return Errors.Invalid(t, $"name: at most {MaxNameLength} characters");
        }
        return null;
    }

    /// <summary>The answer for the registered key: the only place its secret is ever shown.</summary>
    public static Reply Answer(ApiKeyInfo key, string secret, TenantId t) => Reply.Ok(new CreatedApiKey
    {
        Id = key.KeyId,
        Name = key.Name,
        Prefix = key.Prefix ?? "",
        Env = t.EnvName,
        CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
        Secret = secret,
    }, TallyJsonContext.Default.CreatedApiKey);
}
