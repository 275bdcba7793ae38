using Tally.Core.Audit;

namespace Tally.Core.Tests;

public sealed class LedgerAuditTests
{
    private static SourceDelta D(string source, decimal value, string? rollover = null) =>
        new() { SourceId = source, FeatureId = "messages", Value = value, RolloverId = rollover };

    [Fact]
    public void Recompute_GrantThenUsage_IsMinusTheSumPerSourceAndRollover()
    {
        var balances = Ledger.Recompute([D("a", -100m), D("b", -5m), D("a", 30m), D("a", 0.25m), D("a", -1m, "r1"), D("a", 0.5m, "r1"), D("b", -2m)]);

        Assert.Equal(70m - 0.25m, balances[new LedgerKey("a", null)]);
        Assert.Equal(7m, balances[new LedgerKey("b", null)]);
        Assert.Equal(0.5m, balances[new LedgerKey("a", "r1")]);
        Assert.Equal(3, balances.Count);
    }

    [Fact]
    public void Fold_InTwoParts_EqualsOneRecompute()
    {
        var rnd = new Random(0x5EED);
        var deltas = Enumerable.Range(0, 200).Select(_ => D($"s{rnd.Next(4)}", Math.Round((decimal)rnd.NextDouble() * 10 - 3, 4))).ToList();

        var folded = Ledger.Recompute(deltas.Take(77));
        Ledger.Fold(folded, deltas.Skip(77));

        Assert.Equal(Ledger.Recompute(deltas), folded);
    }

    [Fact]
    public void Compare_EqualBalances_NoDifference_ChangedBalance_OneDifferenceWithBothValues()
    {
        var ledger = Ledger.Recompute([D("a", -100m), D("a", 30m), D("a", -4m, "r1")]);
        StoredBalance[] clean = [new("a", null, "messages", null, 70m), new("a", "r1", "messages", null, 4m)];
        StoredBalance[] tampered = [new("a", null, "messages", "e1", 71m), new("a", "r1", "messages", null, 4m)];

        Assert.Empty(BalanceAudit.Compare("c1", clean, ledger));
        var d = Assert.Single(BalanceAudit.Compare("c1", tampered, ledger));
        Assert.Equal(new AuditDifference("c1", "messages", "e1", "a", null, 71m, 70m), d);
    }

    [Fact]
    public void Compare_StoredBucketWithoutLedgerRows_IsADifference_LedgerKeyWithoutBucket_IsNot()
    {
        var ledger = Ledger.Recompute([D("gone", -10m)]);

        var d = Assert.Single(BalanceAudit.Compare("c1", [new StoredBalance("new", null, "messages", null, 3m)], ledger));

        Assert.Equal(0m, d.Ledger);
        Assert.Equal(3m, d.Stored);
    }
}
