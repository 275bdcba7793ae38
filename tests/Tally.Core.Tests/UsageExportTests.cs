using Tally.Core.Audit;

namespace Tally.Core.Tests;

public sealed class UsageExportTests
{
    private static readonly DateTimeOffset Jan15 = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Mar10 = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);

    private static SourceDelta D(string feature, decimal value) => new() { SourceId = "s", FeatureId = feature, Value = value };

    [Fact]
    public void Rows_CalendarMonthsCutToTheRange_UsageNettedIncludedFromGrantsInForce()
    {
        var usage = new Dictionary<(DateTimeOffset, string), decimal>();
        UsageExport.Fold(usage, Jan15.AddHours(3), [D("messages", 80m)]);
        UsageExport.Fold(usage, Jan15.AddDays(10), [D("messages", 50m), D("credits", 2.5m)]);
        UsageExport.Fold(usage, new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), [D("messages", 10m), D("messages", -4m)]);
        GrantWindow[] grants =
        [
            new("messages", 100m, false, Jan15.AddDays(-30), null),
            // Expired before February: counts in January only.
            new("messages", 20m, false, Jan15.AddDays(-30), new DateTimeOffset(2026, 1, 31, 0, 0, 0, TimeSpan.Zero)),
            new("credits", 0m, true, Jan15, null),
        ];

        var rows = UsageExport.Rows("c1", grants, usage, Jan15, Mar10).ToList();

        Assert.Equal(
        [
            new UsageRow("c1", "credits", Jan15, new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), 2.5m, null, 0m),
            new UsageRow("c1", "messages", Jan15, new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), 130m, 120m, 10m),
            new UsageRow("c1", "credits", new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), 0m, null, 0m),
            new UsageRow("c1", "messages", new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), 6m, 100m, 0m),
            new UsageRow("c1", "credits", new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), Mar10, 0m, null, 0m),
            new UsageRow("c1", "messages", new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), Mar10, 0m, 100m, 0m),
        ], rows);
    }

    [Fact]
    public void Rows_NoGrantsAndNoUsage_NoRows()
    {
        Assert.Empty(UsageExport.Rows("c1", [], new Dictionary<(DateTimeOffset, string), decimal>(), Jan15, Mar10));
    }

    [Theory]
    [InlineData(LedgerKind.Track, true)]
    [InlineData(LedgerKind.Lock, true)]
    [InlineData(LedgerKind.Seat, true)]
    [InlineData(LedgerKind.Grant, false)]
    [InlineData(LedgerKind.Reset, false)]
    [InlineData(LedgerKind.Adjustment, false)]
    public void IsUsage_OnlyRowsThatConsume(LedgerKind kind, bool expected) => Assert.Equal(expected, UsageExport.IsUsage(kind));
}
