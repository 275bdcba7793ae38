using Spectre.Console;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>Tables shared by several commands.</summary>
internal static class Tables
{
    /// <summary>Balances as the issue asks: feature, granted, remaining, usage, next reset.</summary>
    public static Table Balances(IEnumerable<Balance> balances)
    {
        var table = new Table().AddColumn("feature").AddColumn(new TableColumn("granted").RightAligned())
            .AddColumn(new TableColumn("remaining").RightAligned()).AddColumn(new TableColumn("usage").RightAligned()).AddColumn("next reset");
        foreach (var b in balances.OrderBy(b => b.FeatureId, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(b.FeatureId), b.Unlimited ? "unlimited" : Output.Number(b.Granted),
                b.Unlimited ? "unlimited" : Output.Number(b.Remaining), Output.Number(b.Usage), Output.Time(b.NextResetAt));
        }
        return table;
    }
}
