using Tally.Contracts;
using Tally.Core.Audit;
using Tally.Server.Api.Admin;
using static Tally.Server.Tests.Api.Kit;

namespace Tally.Server.Tests.Api.Admin;

/// <summary>The admin.* decisions called directly: what a range may be, and the lines a difference or a usage row becomes.</summary>
public sealed class AdminDecisionTests
{
    private static readonly long From = Epoch.ToUnixTimeMilliseconds();

    [Fact]
    public void ExportUsageValidate_BadRangeOrCustomer_NamesTheField_ElseNull()
    {
        string? V(long from, long to, string? customer = null) =>
            ExportUsage.Validate(new ExportUsageParams { From = from, To = to, CustomerId = customer });

        Assert.StartsWith("from:", V(-1, From), StringComparison.Ordinal);
        Assert.StartsWith("from:", V(long.MaxValue - 1, long.MaxValue), StringComparison.Ordinal);
        Assert.StartsWith("to:", V(From, From), StringComparison.Ordinal);
        Assert.StartsWith("to:", V(From, From - 1), StringComparison.Ordinal);
        Assert.StartsWith("to:", V(From, From + (long)ExportUsage.MaxRange.TotalMilliseconds + 1), StringComparison.Ordinal);
        Assert.StartsWith("customer_id:", V(From, From + 1, ""), StringComparison.Ordinal);
        Assert.Null(V(From, From + (long)ExportUsage.MaxRange.TotalMilliseconds, "cus_1"));
        Assert.Null(V(0, 1));
    }

    [Fact]
    public void ExportUsageLine_UsageRow_IsARowLineInEpochMilliseconds()
    {
        var line = ExportUsage.Line(new UsageRow("cus_1", "messages", Epoch, Epoch.AddMonths(1), 12.5m, 10m, 2.5m));
        var json = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(line, TallyJsonContext.Default.UsageExportLine)).RootElement;

        Assert.Equal(("row", "cus_1", "messages"), (line.Type, line.CustomerId, line.FeatureId));
        Assert.Equal((From, Epoch.AddMonths(1).ToUnixTimeMilliseconds()), (line.PeriodStart!.Value, line.PeriodEnd!.Value));
        Assert.Equal((12.5m, 10m, 2.5m), (line.Usage!.Value, line.Included!.Value, line.Overage!.Value));
        Assert.Equal("row", json.GetProperty("type").GetString());
        Assert.False(json.TryGetProperty("rows", out var rows) && rows.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public void AuditDifference_StoredAndLedgerValues_AreADifferenceLine()
    {
        var line = Audit.Difference(new AuditDifference("cus_1", "messages", "seat_1", "src_3", "ro_1", 7m, 5m));

        Assert.Equal(("difference", "cus_1", "messages", "seat_1", "src_3", "ro_1"),
            (line.Type, line.CustomerId, line.FeatureId, line.EntityId, line.SourceId, line.RolloverId));
        Assert.Equal((7m, 5m), (line.Stored!.Value, line.Ledger!.Value));
        Assert.Null(line.Customers);
    }
}
