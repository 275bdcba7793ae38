using System.Text.Json;

namespace Tally.Core.Tests.Controls;

public sealed class BillingControlsParseTests
{
    private static string? Error(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return BillingControls.Parse(doc.RootElement).Error;
    }

    [Theory]
    [InlineData("""{"usage_limits":[{"limit":1,"interval":"day"}]}""", "billing_controls.usage_limits[0].feature_id")]
    [InlineData("""{"usage_limits":[{"feature_id":"m","interval":"day"}]}""", "billing_controls.usage_limits[0].limit")]
    [InlineData("""{"usage_limits":[{"feature_id":"m","limit":1}]}""", "billing_controls.usage_limits[0].interval")]
    [InlineData("""{"usage_limits":[{"feature_id":"m","limit":1,"interval":"hour"}]}""", "billing_controls.usage_limits[0].interval")]
    [InlineData("""{"usage_limits":[{"feature_id":"m","limit":-1,"interval":"day"}]}""", "billing_controls.usage_limits[0].limit")]
    [InlineData("""{"usage_limits":[{"feature_id":"m","limit":1,"interval":"day"},{"feature_id":"m","limit":2,"interval":"day"}]}""", "billing_controls.usage_limits[1]")]
    [InlineData("""{"overage_allowed":[{"enabled":true}]}""", "billing_controls.overage_allowed[0].feature_id")]
    [InlineData("""{"overage_allowed":[{"feature_id":"m","enabled":true},{"feature_id":"m","enabled":false}]}""", "billing_controls.overage_allowed[1]")]
    [InlineData("""{"spend_limits":[{"feature_id":"m","overage_limit":"x"}]}""", "billing_controls.spend_limits[0].overage_limit")]
    [InlineData("""{"spend_limits":[{"overage_limit":1},{"overage_limit":2}]}""", "billing_controls.spend_limits[1]")]
    [InlineData("""{"spend_limits":[{"feature_id":"m","overage_limit":1,"limit_type":"x"}]}""", "billing_controls.spend_limits[0].limit_type")]
    [InlineData("""{"usage_alerts":[{"feature_id":"m","threshold":1}]}""", "billing_controls.usage_alerts[0].threshold_type")]
    [InlineData("""{"usage_alerts":[{"feature_id":"m","threshold_type":"usage"}]}""", "billing_controls.usage_alerts[0].threshold")]
    [InlineData("""{"usage_limits":{}}""", "billing_controls.usage_limits")]
    [InlineData("""{"usage_limits":[1]}""", "billing_controls.usage_limits[0]")]
    [InlineData("""[]""", "billing_controls")]
    public void Parse_Malformed_ErrorNamesTheField(string json, string field)
    {
        var error = Error(json);

        Assert.NotNull(error);
        Assert.StartsWith(field, error);
    }

    [Fact]
    public void Parse_SameFeatureDifferentWindowOrFilter_Accepted()
    {
        Assert.Null(Error("""{"usage_limits":[{"feature_id":"m","limit":1,"interval":"day"},{"feature_id":"m","limit":9,"interval":"month"},""" +
            """{"feature_id":"m","limit":1,"interval":"day","filter":{"properties":{"a":1}}}]}"""));
    }

    [Fact]
    public void Parse_Defaults_EnabledAndBillingCycleAnchorAndAbsolute()
    {
        using var doc = JsonDocument.Parse("""{"usage_limits":[{"feature_id":"m","limit":1,"interval":"week"}],"spend_limits":[{"feature_id":"m","overage_limit":3}],"auto_topups":[]}""");
        var c = BillingControls.Parse(doc.RootElement).Controls!;

        Assert.True(c.UsageLimits[0].Enabled);
        Assert.True(c.UsageLimits[0].BillingCycleAnchor);
        Assert.False(c.SpendLimits[0].UsagePercentage);
    }

    [Fact]
    public void Filter_KeyOrder_CanonicalAndMatchesBySubset()
    {
        using var a = JsonDocument.Parse("""{"b":2,"a":"x"}""");
        using var b = JsonDocument.Parse("""{"a":"x","b":2}""");

        Assert.Equal(ControlFilter.Canonical(a.RootElement), ControlFilter.Canonical(b.RootElement));
        Assert.True(ControlFilter.Matches(ControlFilter.Canonical(a.RootElement), """{"a":"x","b":2.0,"c":true}"""));
        Assert.False(ControlFilter.Matches(ControlFilter.Canonical(a.RootElement), """{"a":"x"}"""));
    }

    [Fact]
    public void WindowStart_BillingCycleMonthOn31st_ClampsAndWalksFromAnchor()
    {
        var customer = new Customer { Id = "c", CreatedAt = new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero) };
        var w = new Working(new CustomerState(customer));
        var limit = new UsageLimit("m", true, 1, ControlWindow.Month, true, null);

        Assert.Equal(new DateTimeOffset(2026, 2, 28, 10, 0, 0, TimeSpan.Zero),
            ControlWindows.Start(w, limit, new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 10, 0, 0, TimeSpan.Zero),
            ControlWindows.Start(w, limit, new DateTimeOffset(2026, 3, 31, 10, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void WindowStart_UtcWeek_StartsMonday()
    {
        var w = new Working(new CustomerState(new Customer { Id = "c", CreatedAt = F.Epoch }));
        var limit = new UsageLimit("m", true, 1, ControlWindow.Week, false, null);

        var start = ControlWindows.Start(w, limit, new DateTimeOffset(2026, 3, 12, 15, 0, 0, TimeSpan.Zero));

        Assert.Equal(DayOfWeek.Monday, start.DayOfWeek);
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero), start);
    }
}
