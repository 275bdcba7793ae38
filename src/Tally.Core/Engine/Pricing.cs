using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>What an item's price asks for a number of billable units, as configured (no proration, no tax).</summary>
public static class Pricing
{
    /// <summary>
    /// The amount for <paramref name="units"/> units beyond the included amount: whole billing-unit packs times the
    /// amount, or the tiers (graduated: each tier prices its own slice; volume: the tier the total falls in prices all).
    /// </summary>
    public static decimal Cost(ItemPrice price, decimal units)
    {
        if (units <= 0)
        {
            return 0m;
        }
        var per = price.BillingUnits > 0 ? price.BillingUnits : 1m;
        if (price.Tiers is not { Count: > 0 } tiers)
        {
            return Math.Ceiling(units / per) * (price.Amount ?? 0m);
        }
        if (price.TierBehavior == TierBehavior.Volume)
        {
            var tier = tiers.FirstOrDefault(t => t.To is null || units <= t.To) ?? tiers[^1];
            return Math.Ceiling(units / per) * tier.Amount + (tier.FlatAmount ?? 0m);
        }
        var total = 0m;
        var from = 0m;
        foreach (var tier in tiers)
        {
            var upTo = tier.To is { } to ? Math.Min(units, to) : units;
            if (upTo > from)
            {
                total += Math.Ceiling((upTo - from) / per) * tier.Amount + (tier.FlatAmount ?? 0m);
            }
            if (tier.To is not { } end || units <= end)
            {
                break;
            }
            from = end;
        }
        return total;
    }
}
