namespace Tally.Client.Tests;

/// <summary><c>client.Keys</c> against the real server in process; a server per test, since revocations are tenant-wide.</summary>
public sealed class KeysClientTests
{
    [Fact]
    public async Task Keys_CreateUseListRevoke_EachStepAsDocumented()
    {
        await using var server = new TallyServer();
        var client = server.NewClient();

        var created = await client.Keys.CreateAsync(new CreateKeyParams { Name = "worker" });
        var viaNewKey = server.NewClient(o => o.SecretKey = created.Secret);
        await viaNewKey.Features.ListAsync();
        var listed = await client.Keys.ListAsync();
        var revoked = await client.Keys.RevokeAsync(new RevokeKeyParams { Id = created.Id });
        var refused = await Assert.ThrowsAsync<TallyApiException>(() => viaNewKey.Features.ListAsync());

        Assert.StartsWith("am_sk_test_", created.Secret, StringComparison.Ordinal);
        var mine = Assert.Single(listed.List, k => k.Id == created.Id);
        Assert.Equal(("worker", created.Prefix, "api"), (mine.Name, mine.Prefix, mine.Source));
        Assert.NotNull(mine.LastUsedAt);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal((401, "invalid_secret_key"), (refused.StatusCode, refused.Code));
    }

    [Fact]
    public async Task Revoke_Refused_ThrowsWithItsCode()
    {
        await using var server = new TallyServer();
        var created = await server.NewClient().Keys.CreateAsync(new CreateKeyParams { Name = "survivor" });
        var client = server.NewClient(o => o.SecretKey = created.Secret);
        foreach (var k in (await client.Keys.ListAsync()).List.Where(k => k.Id != created.Id))
        {
            await client.Keys.RevokeAsync(new RevokeKeyParams { Id = k.Id });
        }
        var own = Assert.Single((await client.Keys.ListAsync()).List, k => k.RevokedAt is null);

        var last = await Assert.ThrowsAsync<TallyApiException>(() => client.Keys.RevokeAsync(new RevokeKeyParams { Id = own.Id }));
        var unknown = await Assert.ThrowsAsync<TallyApiException>(() => client.Keys.RevokeAsync(new RevokeKeyParams { Id = "key_nope" }));

        Assert.Equal((400, "last_key"), (last.StatusCode, last.Code));
        Assert.Equal((404, "key_not_found"), (unknown.StatusCode, unknown.Code));
        await Assert.ThrowsAsync<ArgumentException>(() => client.Keys.CreateAsync(new CreateKeyParams { Name = " " }));
        await Assert.ThrowsAsync<ArgumentException>(() => client.Keys.RevokeAsync(new RevokeKeyParams { Id = "" }));
    }
}
