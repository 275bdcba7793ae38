using Microsoft.Extensions.Configuration;
using Tally.Server.Hosting;

namespace Tally.Server.Tests.Operations;

/// <summary>/metrics in Prometheus text format carries the HTTP, runtime and Tally instruments; the request log settings parse.</summary>
public sealed class MetricsAndLogTests(TallyApp app) : IClassFixture<TallyApp>
{
    [Fact]
    public async Task Metrics_AfterTracksAndChecks_CountThemByOutcome_NextToHttpAndRuntimeMetrics()
    {
        var api = app.Api;
        var cid = "mx-" + Guid.NewGuid().ToString("N")[..8];
        await api.MeteredFeatureAsync(cid + "-f");
        (await api.PostAsync("customers.get_or_create", $$"""{"customer_id":"{{cid}}"}""")).ShouldBe(200);
        (await api.PostAsync("balances.create", $$"""{"customer_id":"{{cid}}","feature_id":"{{cid}}-f","included_grant":10}""")).ShouldBe(200);
        (await api.PostAsync("balances.track", $$"""{"customer_id":"{{cid}}","feature_id":"{{cid}}-f","value":1,"idempotency_key":"k1"}""")).ShouldBe(200);
        (await api.PostAsync("balances.track", $$"""{"customer_id":"{{cid}}","feature_id":"{{cid}}-f","value":1,"idempotency_key":"k1"}""")).ShouldBe(200);
        (await api.PostAsync("balances.check", $$"""{"customer_id":"{{cid}}","feature_id":"{{cid}}-f","required_balance":1000}""")).ShouldBe(200);
        (await api.PostAsync("balances.check", $$"""{"customer_id":"{{cid}}","feature_id":"missing"}""")).ShouldFail(404, "feature_not_found");

        using var response = await app.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Matches("""(?m)^tally_tracks_total\{[^}]*outcome="allowed"[^}]*\} [1-9]""", text);
        Assert.Matches("""(?m)^tally_tracks_total\{[^}]*outcome="replayed"[^}]*\} [1-9]""", text);
        Assert.Matches("""(?m)^tally_checks_total\{[^}]*outcome="denied"[^}]*\} [1-9]""", text);
        Assert.Matches("""(?m)^tally_checks_total\{[^}]*outcome="refused"[^}]*\} [1-9]""", text);
        Assert.Matches("""(?m)^tally_events_ingested_total\{[^}]*\} [1-9]""", text);
        Assert.Matches("""(?m)^tally_commit_batch_size_count\{[^}]*\} [1-9]""", text);
        Assert.Contains("tally_fsync_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("tally_commit_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("tally_commit_queue_depth", text, StringComparison.Ordinal);
        Assert.Matches("""(?m)^tally_customers_resident\{[^}]*\} [1-9]""", text);
        Assert.Contains("http_server_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Matches("(?m)^(process_runtime_)?dotnet_gc_", text);
    }

    [Fact]
    public async Task Metrics_SwitchedOff_ServesNoMetricsAndTracksStillCount()
    {
        await using var off = await TallyApp.StartAsync(new Dictionary<string, string> { ["TALLY_METRICS"] = "off" });
        await off.Api.MeteredFeatureAsync("mo-f");
        (await off.Api.PostAsync("customers.get_or_create", """{"customer_id":"mo"}""")).ShouldBe(200);
        (await off.Api.PostAsync("balances.create", """{"customer_id":"mo","feature_id":"mo-f","included_grant":10}""")).ShouldBe(200);
        (await off.Api.PostAsync("balances.track", """{"customer_id":"mo","feature_id":"mo-f","value":3}""")).ShouldBe(200);

        using var response = await off.Http.GetAsync("/metrics");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(404, (int)response.StatusCode);
        Assert.DoesNotContain("tally_tracks_total", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("false", false)]
    public void MetricsSwitch_Parse(string? value, bool enabled)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TALLY_METRICS"] = value }).Build();

        Assert.Equal(enabled, MetricsSwitch.FromConfiguration(config).Enabled);
    }

    [Fact]
    public void MetricsSwitch_BadValue_NamesTheSetting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TALLY_METRICS"] = "sometimes" }).Build();

        var error = Assert.Throws<TallyConfigurationException>(() => MetricsSwitch.FromConfiguration(config));

        Assert.Contains("TALLY_METRICS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true, 0.01)]
    [InlineData("on", true, 1.0)]
    [InlineData("off", false, 0.0)]
    [InlineData("0.25", true, 0.25)]
    public void RequestLogOptions_Parse(string? value, bool enabled, double rate)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TALLY_REQUEST_LOG"] = value }).Build();

        var options = RequestLogOptions.FromConfiguration(config);

        Assert.Equal(enabled, options.Enabled);
        Assert.Equal(rate, options.HotSampleRate);
    }

    [Theory]
    [InlineData("loud")]
    [InlineData("1.5")]
    public void RequestLogOptions_BadValue_NamesTheSetting(string value)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TALLY_REQUEST_LOG"] = value }).Build();

        var e = Assert.ThrowsAny<InvalidOperationException>(() => RequestLogOptions.FromConfiguration(config));

        Assert.StartsWith("TALLY_REQUEST_LOG", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"feature_id":"f","customer_id":"c1"}""", "c1")]
    [InlineData("""{"properties":{"customer_id":"inner"},"customer_id":"outer"}""", "outer")]
    [InlineData("""{"customer_id":7}""", null)]
    [InlineData("""[{"customer_id":"c1"}]""", null)]
    [InlineData("""{"customer_id":""", null)]
    public void CustomerIdOf_ReadsOnlyTheTopLevelString(string body, string? expected)
    {
        Assert.Equal(expected, RequestLog.CustomerIdOf(System.Text.Encoding.UTF8.GetBytes(body)));
    }
}
