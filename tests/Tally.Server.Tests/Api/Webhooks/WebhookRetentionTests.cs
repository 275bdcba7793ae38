using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Hosting;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Tests.Api.Webhooks;

/// <summary>
/// Retention from the dispatcher's side: the setting, and a pass that deletes what finished before the cutoff in
/// bounded batches while a delivery still retrying stays, on a server whose clock the test moves.
/// </summary>
public sealed class WebhookRetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(T0);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tally-wh-retention-" + Guid.NewGuid().ToString("N"));
    private WebhookReceiver _receiver = null!;
    private Factory _factory = null!;
    private TallyApi _api = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _receiver = await WebhookReceiver.StartAsync();
        _factory = new Factory(Path.Combine(_dir, "tally.db"), _time);
        _api = new TallyApi(_factory.CreateClient(), TallyApp.SandboxKey);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _receiver.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Theory]
    [InlineData(null, 30 * 24)]
    [InlineData("12h", 12)]
    [InlineData("7d", 7 * 24)]
    [InlineData("2.00:00:00", 48)]
    public void Retention_IsReadLikeTheOtherDurations(string? value, int hours)
    {
        var options = WebhookOptions.FromConfiguration(Config(value));

        Assert.Equal(TimeSpan.FromHours(hours), options.Retention);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("-1d")]
    [InlineData("soon")]
    public void Retention_ThatCannotBeUsed_StopsTheStartNamingTheSetting(string value)
    {
        var e = Assert.Throws<TallyConfigurationException>(() => WebhookOptions.FromConfiguration(Config(value)));

        Assert.Contains("TALLY_WEBHOOK_RETENTION", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PruneOnce_DeletesFinishedDeliveriesPastTheRetention_InBoundedBatches_AndKeepsARetryingOne()
    {
        var done = await EndpointAsync("done");
        var down = await EndpointAsync("down");
        _receiver.FailFirst("down", int.MaxValue);
        for (var i = 0; i < 3; i++)
        {
            await _api.OkAsync("webhooks.test", new WebhookIdParams { Id = done }, C.Default.WebhookDeliveryQueued);
        }
        var retrying = await _api.OkAsync("webhooks.test", new WebhookIdParams { Id = down }, C.Default.WebhookDeliveryQueued);
        await DeliveriesAsync(done, d => d.Count == 3 && d.All(x => x.Status == "delivered"));
        await DeliveriesAsync(down, d => d.Count == 1 && d[0].Attempts.Count > 0);

        _time.Now = T0.AddDays(31);
        var options = _factory.Services.GetRequiredService<WebhookOptions>() with { PruneBatchSize = 1, PruneBatchesPerPass = 2 };
        using var dispatcher = new WebhookDispatcher(_factory.Services.GetRequiredService<IWebhookStore>(), _time, options,
            NullLogger<WebhookDispatcher>.Instance);

        // A batch of 1 deletes a delivery and an event; two batches a pass: two deliveries, then the third.
        Assert.Equal(4, await dispatcher.PruneOnceAsync(CancellationToken.None));
        Assert.Single(await ListAsync(done));
        Assert.Equal(2, await dispatcher.PruneOnceAsync(CancellationToken.None));
        Assert.Equal(0, await dispatcher.PruneOnceAsync(CancellationToken.None));
        Assert.Empty(await ListAsync(done));
        var kept = Assert.Single(await ListAsync(down));
        Assert.Equal(retrying.DeliveryId, kept.Id);
        Assert.Equal("pending", kept.Status);
    }

    private static IConfiguration Config(string? retention)
    {
        var settings = new Dictionary<string, string?>();
        if (retention is not null)
        {
            settings["TALLY_WEBHOOK_RETENTION"] = retention;
        }
        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private async Task<string> EndpointAsync(string name) =>
        (await _api.OkAsync("webhooks.create", new CreateWebhookParams { Url = _receiver.Url(name) }, C.Default.WebhookSecretResponse)).Id;

    private async Task<List<WebhookDelivery>> ListAsync(string webhookId) =>
        (await _api.OkAsync("webhooks.deliveries", new ListWebhookDeliveriesParams { WebhookId = webhookId },
            C.Default.CursorListResponseWebhookDelivery)).List;

    /// <summary>Waits (bounded: a minute) until the endpoint's deliveries satisfy <paramref name="done"/>.</summary>
    private async Task DeliveriesAsync(string webhookId, Func<List<WebhookDelivery>, bool> done)
    {
        for (var i = 0; i < 1200; i++)
        {
            if (done(await ListAsync(webhookId)))
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"the deliveries of {webhookId} never reached the expected state");
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Factory(string database, TimeProvider time) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("TALLY_DATABASE", database);
            builder.UseSetting("TALLY_SECRET_KEYS", $"{TallyApp.SandboxKey},{TallyApp.LiveKey}");
            // The retry after the first failure is a year away on this clock, so the failing delivery stays pending.
            builder.UseSetting("TALLY_WEBHOOK_RETRY_SCHEDULE", "365d");
            builder.UseSetting("TALLY_WEBHOOK_POLL_INTERVAL", "50ms");
            builder.ConfigureTestServices(s => s.AddSingleton(time));
        }
    }
}
