using System.Text.Json;
using Tally.Client;

namespace Tally.Cli.Tests;

/// <summary>tally keys create|list|revoke against a real server.</summary>
public sealed class KeysTests
{
    [Fact]
    public async Task KeysCreateListRevoke_NewSecretWorksUntilRevoked()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var created = await cli.RunAsync("keys", "create", "--name", "ci", "--json");
        Assert.True(created.Code == 0, created.ToString());
        using var doc = JsonDocument.Parse(created.Out);
        var id = doc.RootElement.GetProperty("id").GetString()!;
        var secret = doc.RootElement.GetProperty("secret").GetString()!;
        Assert.StartsWith("am_sk_test_", secret, StringComparison.Ordinal);

        var viaNewKey = await cli.RunAsync("--key", secret, "keys", "list");
        Assert.True(viaNewKey.Code == 0, viaNewKey.ToString());
        var row = viaNewKey.Out.Split('\n').Single(l => l.Contains(id, StringComparison.Ordinal));
        Assert.Contains("ci", row, StringComparison.Ordinal);
        Assert.Contains("active", row, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, viaNewKey.Out, StringComparison.Ordinal);

        var revoked = await cli.RunAsync("keys", "revoke", id, "--yes");
        Assert.True(revoked.Code == 0, revoked.ToString());
        Assert.Contains($"Revoked {id}", revoked.Out, StringComparison.Ordinal);

        var refused = await cli.RunAsync("--key", secret, "keys", "list");
        Assert.Equal(1, refused.Code);
        var listed = await cli.RunAsync("keys", "list");
        Assert.Contains("revoked", listed.Out.Split('\n').Single(l => l.Contains(id, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysCreate_PlainOutput_PrintsOnlyTheSecretOnStdout()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var created = await cli.RunAsync("keys", "create", "--name", "deploy");

        Assert.True(created.Code == 0, created.ToString());
        var secret = created.Out.Trim();
        Assert.StartsWith("am_sk_test_", secret, StringComparison.Ordinal);
        Assert.Contains("shown once", created.Err, StringComparison.Ordinal);
        var client = new TallyClient(new HttpClient(), new TallyClientOptions { BaseUrl = new Uri(server.Url), SecretKey = secret });
        Assert.Contains((await client.Keys.ListAsync()).List, k => k.Name == "deploy");
    }

    [Fact]
    public async Task KeysRevoke_UnknownId_ExitsOneWithTheCode()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);

        var result = await cli.RunAsync("keys", "revoke", "key_nope", "--yes");

        Assert.Equal(1, result.Code);
        Assert.Contains("key_not_found", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysRevoke_NoAnswerOnStdin_IsAUsageErrorAndRevokesNothing()
    {
        await using var server = new TallyServer();
        using var cli = new CliRun(server);
        var key = await server.NewClient().Keys.CreateAsync(new CreateKeyParams { Name = "x" });

        var result = await cli.RunAsync("keys", "revoke", key.Id);

        Assert.Equal(2, result.Code);
        Assert.Null((await server.NewClient().Keys.ListAsync()).List.Single(k => k.Id == key.Id).RevokedAt);
    }

    [Fact]
    public async Task KeysCreate_MissingName_IsAUsageError()
    {
        using var cli = new CliRun();

        var result = await cli.RunAsync("keys", "create");

        Assert.Equal(2, result.Code);
        Assert.Contains("--name", result.Err, StringComparison.Ordinal);
    }
}
