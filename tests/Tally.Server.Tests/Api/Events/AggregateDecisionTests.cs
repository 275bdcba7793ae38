using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Api.Events;

namespace Tally.Server.Tests.Api.Events;

/// <summary>events.aggregate's pure parts: validation, the window and its bins, binning and grouping.</summary>
public sealed class AggregateDecisionTests
{
    // A Wednesday, 14:30 UTC.
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 14, 30, 0, TimeSpan.Zero);
    private const long Hour = 3_600_000;

    private static AggregateSpec Spec(string body) =>
        AggregateRules.Validate(JsonSerializer.Deserialize(body, TallyJsonContext.Default.AggregateEventsParams)!).Spec!;

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    [Fact]
    public void Window_24h_IsTwentyFiveHourBins_EndingAtNowsHour()
    {
        var w = AggregateRules.Window(Spec("""{"feature_id":"f","range":"24h"}"""), Now, null, null)!;

        Assert.Equal(25, w.Bins.Count);
        Assert.Equal(Ms(new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.Zero)), w.Bins[0]);
        Assert.Equal(Ms(new DateTimeOffset(2026, 11, 25, 14, 0, 0, TimeSpan.Zero)), w.Bins[^1]);
        Assert.Equal(w.Bins[0], w.StartMs);
        Assert.Equal(w.Bins[^1] + Hour, w.EndMs);
    }

    [Fact]
    public void Window_Weeks_StartOnMonday_AndMonthsOnTheFirst()
    {
        var weeks = AggregateRules.Window(Spec("""{"feature_id":"f","range":"30d","bin_size":"week"}"""), Now, null, null)!;
        var months = AggregateRules.Window(Spec("""{"feature_id":"f","range":"90d","bin_size":"month"}"""), Now, null, null)!;

        Assert.All(weeks.Bins, b => Assert.Equal(DayOfWeek.Monday, DateTimeOffset.FromUnixTimeMilliseconds(b).DayOfWeek));
        Assert.Equal(Ms(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero)), weeks.Bins[^1]);
        Assert.Equal([Ms(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero)), Ms(new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero)),
            Ms(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero)), Ms(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero))], months.Bins);
    }

    [Fact]
    public void Window_BillingCycles_FollowTheCustomersPeriod_AndFallBackToADay()
    {
        var cycle = (new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 10, 0, 0, 0, TimeSpan.Zero));
        var longAgo = Now.AddYears(-1);

        var last = AggregateRules.Window(Spec("""{"feature_id":"f","range":"last_cycle"}"""), Now, cycle, longAgo)!;
        var newCustomer = AggregateRules.Window(Spec("""{"feature_id":"f","range":"last_cycle"}"""), Now, cycle, Now.AddDays(-2))!;
        var three = AggregateRules.Window(Spec("""{"feature_id":"f","range":"3bc"}"""), Now, cycle, longAgo)!;
        var none = AggregateRules.Window(Spec("""{"feature_id":"f","range":"1bc"}"""), Now, null, longAgo)!;

        Assert.Equal(Ms(new DateTimeOffset(2026, 10, 11, 0, 0, 0, TimeSpan.Zero)), last.Bins[0]);
        Assert.Equal(Ms(new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero)), last.Bins[^1]);
        Assert.Equal(Ms(new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero)), newCustomer.Bins[0]);
        Assert.Equal(Ms(new DateTimeOffset(Now.AddDays(-90).Date, TimeSpan.Zero)), three.Bins[0]);
        Assert.Equal(2, none.Bins.Count);
    }

    [Fact]
    public void Window_TooManyBins_IsRefused_AndAFutureRangeIsEmpty()
    {
        Assert.Null(AggregateRules.Window(Spec("""{"feature_id":"f","custom_range":{"start":0,"end":1800000000000},"bin_size":"hour"}"""), Now, null, null));
        var future = AggregateRules.Window(Spec($$"""{"feature_id":"f","custom_range":{"start":{{Ms(Now) + Hour}},"end":{{Ms(Now) + (5 * Hour)}} } }"""), Now, null, null)!;
        Assert.Empty(future.Bins);
    }

    [Fact]
    public void Bins_SumHoursIntoDays_KeepEmptyDays_AndTotalCountsAndSums()
    {
        var spec = Spec("""{"feature_id":["f","g"],"range":"7d"}""");
        var w = AggregateRules.Window(spec, Now, null, null)!;
        var bins = new AggregateBins(spec, w, new() { ["f"] = ["f", "ev"], ["g"] = ["g", "ev"] }, Catalog.Empty, new Dictionary<string, string?>());
        var day = Ms(new DateTimeOffset(Now.Date, TimeSpan.Zero)) - 86_400_000;

        bins.AddHour(new UsageHour("f", day + Hour, 2, 5m));
        bins.AddHour(new UsageHour("f", day + (3 * Hour), 1, -1m));
        bins.AddHour(new UsageHour("ev", day + (5 * Hour), 3, 9m));
        bins.AddHour(new UsageHour("f", day - (30 * 86_400_000L), 1, 100m));
        var r = bins.ToResponse();

        Assert.Equal(8, r.List.Count);
        Assert.Equal(13m, r.List.Single(p => p.Period == day).Values["f"]);
        Assert.Equal(9m, r.List.Single(p => p.Period == day).Values["g"]);
        Assert.Equal(7, r.List.Count(p => p.Values["f"] == 0m));
        Assert.Equal(6, r.Total["f"].Count);
        Assert.Equal(13m, r.Total["f"].Sum);
        Assert.Equal(3, r.Total["g"].Count);
    }

    [Fact]
    public void Groups_KeepTheLargest_FoldTheRestIntoOther_AndFiltersSkipWholeRows()
    {
        var spec = Spec("""{"feature_id":"f","range":"24h","group_by":"properties.user.tier","max_groups":1,"filter_by":{"region":"eu"}}""");
        var w = AggregateRules.Window(spec, Now, null, null)!;
        var bins = new AggregateBins(spec, w, new() { ["f"] = ["f"] }, Catalog.Empty, new Dictionary<string, string?>());
        LedgerEvent E(decimal v, string props) => new()
        {
            Id = "evt_" + Guid.NewGuid().ToString("N"),
            Kind = LedgerKind.Track,
            CustomerId = "c",
            EventName = "f",
            Value = v,
            PropertiesJson = props,
            Timestamp = Now.AddMinutes(-5),
        };

        bins.AddEvent(E(5, """{"region":"eu","user":{"tier":"pro"}}"""), countValues: true);
        bins.AddEvent(E(2, """{"region":"eu","user":{"tier":"free"}}"""), countValues: true);
        bins.AddEvent(E(1, """{"region":"eu"}"""), countValues: true);
        bins.AddEvent(E(50, """{"region":"us","user":{"tier":"pro"}}"""), countValues: true);
        bins.AddEvent(E(7, """{"region":"eu","user":{"tier":"pro"}}""") with { Kind = LedgerKind.Grant }, countValues: true);
        var r = bins.ToResponse();

        Assert.Equal(new Dictionary<string, decimal> { ["pro"] = 5, ["Other"] = 3 }, r.List[^1].GroupedValues!["f"]);
        Assert.Equal(8m, r.Total["f"].Sum);
        Assert.Equal(3, r.Total["f"].Count);
        Assert.Equal(new Dictionary<string, decimal> { ["pro"] = 0, ["Other"] = 0 }, r.List[0].GroupedValues!["f"]);
    }

    [Theory]
    [InlineData("""{"feature_id":[],"range":"7d"}""", "feature_id")]
    [InlineData("""{"feature_id":"","range":"7d"}""", "feature_id")]
    [InlineData("""{"feature_id":"f","range":"7d","customer_id":""}""", "customer_id")]
    [InlineData("""{"feature_id":"f","custom_range":{"start":1}}""", "custom_range")]
    [InlineData("""{"feature_id":"f","range":"7d","aggregate_on":"sum"}""", "aggregate_on")]
    [InlineData("""{"feature_id":"f","range":"7d","customer_id":"c","aggregate_on":"deducted","group_by":"$plan_id"}""", "group_by")]
    [InlineData("""{"feature_id":"f","range":"7d","customer_id":"c","aggregate_on":"deducted","filter_by":{"a":"b"}}""", "filter_by")]
    [InlineData("""{"feature_id":"f","range":"7d","group_by":"properties."}""", "group_by")]
    public void Validate_BadInput_NamesTheField(string body, string field)
    {
        var (spec, error) = AggregateRules.Validate(JsonSerializer.Deserialize(body, TallyJsonContext.Default.AggregateEventsParams)!);
        Assert.Null(spec);
        Assert.StartsWith(field + ":", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DefaultBin_IsHourFor24h_ElseDay()
    {
        Assert.Equal(BinSize.Hour, Spec("""{"feature_id":"f","range":"24h"}""").Bin);
        Assert.Equal(BinSize.Day, Spec("""{"feature_id":"f","range":"7d"}""").Bin);
        Assert.Equal(BinSize.Day, Spec("""{"feature_id":"f","custom_range":{"start":1,"end":2}}""").Bin);
    }
}
