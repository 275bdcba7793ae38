using Tally.Core.Audit;
using Tally.Core.Storage;

namespace Tally.Core.Tests;

public sealed class RollupAuditTests
{
    private const long H = UsageRollup.HourMs;

    [Fact]
    public void Fold_CountsOnlyTracksPerNameHourAndEntity_RefundsIncluded()
    {
        var rollup = new Dictionary<RollupKey, RollupTotals>();
        RollupAudit.Fold(rollup, "Track", "messages", 5 * H + 1, null, 3m);
        RollupAudit.Fold(rollup, "Track", "messages", 6 * H - 1, null, -1m);
        RollupAudit.Fold(rollup, "Track", "messages", 6 * H, null, 2m);
        RollupAudit.Fold(rollup, "Track", "messages", 5 * H, "e1", 4m);
        RollupAudit.Fold(rollup, "Grant", "messages", 5 * H, null, 100m);
        RollupAudit.Fold(rollup, "Track", "sent", -1, null, 1m);

        Assert.Equal(new RollupTotals(2, 2m), rollup[new RollupKey("messages", 5 * H, "")]);
        Assert.Equal(new RollupTotals(1, 2m), rollup[new RollupKey("messages", 6 * H, "")]);
        Assert.Equal(new RollupTotals(1, 4m), rollup[new RollupKey("messages", 5 * H, "e1")]);
        Assert.Equal(new RollupTotals(1, 1m), rollup[new RollupKey("sent", -H, "")]);
        Assert.Equal(4, rollup.Count);
    }

    [Fact]
    public void Compare_ReportsChangedAndOneSidedRowsInKeyOrder()
    {
        var ledger = new Dictionary<RollupKey, RollupTotals>
        {
            [new("messages", 2 * H, "")] = new(2, 5m),
            [new("messages", H, "")] = new(1, 1m),
            [new("alpha", 9 * H, "")] = new(1, 7m),
        };
        var stored = new Dictionary<RollupKey, RollupTotals>
        {
            [new("messages", 2 * H, "")] = new(2, 5m),
            [new("messages", H, "")] = new(2, 1m),
            [new("zeta", H, "")] = new(1, 1m),
        };

        var diffs = RollupAudit.Compare("c", stored, ledger, 0m);

        Assert.Equal(
            [
                new RollupDifference("c", new("alpha", 9 * H, ""), default, new(1, 7m)),
                new RollupDifference("c", new("messages", H, ""), new(2, 1m), new(1, 1m)),
                new RollupDifference("c", new("zeta", H, ""), new(1, 1m), default),
            ], diffs);
    }

    [Fact]
    public void Compare_ToleranceAbsorbsFloatingPointRoundingButNotARealChange()
    {
        var key = new RollupKey("messages", H, "");
        var ledger = new Dictionary<RollupKey, RollupTotals> { [key] = new(3, 0.6m) };
        var rounded = new Dictionary<RollupKey, RollupTotals> { [key] = new(3, 0.6000000001m) };
        var changed = new Dictionary<RollupKey, RollupTotals> { [key] = new(3, 0.61m) };

        Assert.Empty(RollupAudit.Compare("c", rounded, ledger, 0.000_000_001m));
        Assert.Single(RollupAudit.Compare("c", changed, ledger, 0.000_000_001m));
        Assert.Single(RollupAudit.Compare("c", rounded, ledger, 0m));
    }
}
