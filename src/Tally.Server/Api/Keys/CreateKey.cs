using Tally.Contracts;
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
        var name = call.Request.Name;
        if (string.IsNullOrWhiteSpace(name))
        {
            return Errors.Invalid(t, "name: must not be empty");
        }
        if (name.Length > MaxNameLength)
        {
            return Errors.Invalid(t, $"name: at most {MaxNameLength} characters");
        }
        var secret = KeySecrets.NewSecret(t.Env);
        var key = await call.Store.CreateApiKeyAsync(t, KeySecrets.Registration(call.Ids.NewId("key_"), secret, t.Env, name), call.Ct)
            .ConfigureAwait(false);
        return Reply.Ok(new CreatedApiKey
        {
            Id = key.KeyId,
            Name = key.Name,
            Prefix = key.Prefix ?? "",
            Env = t.EnvName,
            CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
            Secret = secret,
        }, TallyJsonContext.Default.CreatedApiKey);
    }
}
