using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Api.Keys;
using static Tally.Server.Tests.Api.Kit;

namespace Tally.Server.Tests.Api.Keys;

/// <summary>The keys.* decisions called directly with plain values and what the store answered.</summary>
public sealed class KeyDecisionTests
{
    private static ApiKeyInfo Key(string id, DateTimeOffset? revokedAt = null) =>
        new(id, Tenant, "ci", "am_sk_test_ab", ApiKeySource.Api, Epoch, Now, revokedAt);

    [Fact]
    public void CreateKeyCheck_EmptyOrOverlongName_IsInvalidNamingTheField_ElseNull()
    {
        var empty = CreateKey.Check(Tenant, new CreateKeyParams { Name = "  " });
        var overlong = CreateKey.Check(Tenant, new CreateKeyParams { Name = new string('n', CreateKey.MaxNameLength + 1) });

        Assert.Equal((400, ErrorCodes.InvalidInputs), (empty!.Status, Code(empty)));
        Assert.StartsWith("name:", Json(empty).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal((400, ErrorCodes.InvalidInputs), (overlong!.Status, Code(overlong)));
        Assert.StartsWith("name:", Json(overlong).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(CreateKey.Check(Tenant, new CreateKeyParams { Name = new string('n', CreateKey.MaxNameLength) }));
    }

    [Fact]
    public void CreateKeyAnswer_RegisteredKey_ShowsItsSecretOnceWithTheEnvironment()
    {
        var secret = KeySecrets.NewSecret(Env.Sandbox);
        var registration = KeySecrets.Registration("key_1", secret, Env.Sandbox, "ci");
        var stored = new ApiKeyInfo(registration.KeyId, Tenant, registration.Name, registration.Prefix, ApiKeySource.Api, Now, null, null);

        var reply = CreateKey.Answer(stored, secret, Tenant);
        var created = JsonSerializer.Deserialize(reply.Body, TallyJsonContext.Default.CreatedApiKey)!;

        Assert.Equal(200, reply.Status);
        Assert.Equal(("key_1", "ci", secret, "sandbox", Now.ToUnixTimeMilliseconds()), (created.Id, created.Name, created.Secret, created.Env, created.CreatedAt));
        Assert.StartsWith(created.Prefix, secret, StringComparison.Ordinal);
        Assert.NotEqual(secret, registration.KeyHash);
        Assert.DoesNotContain(secret, registration.KeyHash, StringComparison.Ordinal);
    }

    [Fact]
    public void ListKeysAnswer_KeysInStoreOrder_WithoutSecretsAndWithRevocations()
    {
        var reply = ListKeys.Answer([Key("key_a"), Key("key_b", Now)]);
        var list = JsonSerializer.Deserialize(reply.Body, TallyJsonContext.Default.ListResponseApiKey)!.List;

        Assert.Equal(["key_a", "key_b"], list.Select(k => k.Id));
        Assert.Equal([null, Now.ToUnixTimeMilliseconds()], list.Select(k => k.RevokedAt));
        Assert.All(list, k => Assert.Equal(("api", "sandbox"), (k.Source, k.Env)));
        Assert.False(Json(reply).GetProperty("list")[0].TryGetProperty("secret", out _));
    }

    [Fact]
    public void RevokeKeyCheck_EmptyId_IsInvalid_ElseNull()
    {
        var empty = RevokeKey.Check(Tenant, new RevokeKeyParams { Id = "" });

        Assert.Equal((400, ErrorCodes.InvalidInputs), (empty!.Status, Code(empty)));
        Assert.StartsWith("id:", Json(empty).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(RevokeKey.Check(Tenant, new RevokeKeyParams { Id = "key_a" }));
    }

    [Fact]
    public void RevokeKeyAnswer_EachOutcome_MapsToItsReply()
    {
        var revoked = RevokeKey.Answer(Tenant, "key_a", new RevokeResult(RevokeOutcome.Revoked, Key("key_a", Now)));
        var missing = RevokeKey.Answer(Tenant, "key_x", new RevokeResult(RevokeOutcome.NotFound, null));
        var last = RevokeKey.Answer(Tenant, "key_a", new RevokeResult(RevokeOutcome.LastKey, null));

        var key = JsonSerializer.Deserialize(revoked.Body, TallyJsonContext.Default.ApiKey)!;
        Assert.Equal((200, "key_a", Now.ToUnixTimeMilliseconds()), (revoked.Status, key.Id, key.RevokedAt));
        Assert.Equal((404, ErrorCodes.KeyNotFound), (missing.Status, Code(missing)));
        Assert.Contains("key_x", Json(missing).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal((400, ErrorCodes.LastKey), (last.Status, Code(last)));
    }
}
