using Tally.Contracts;
using Tally.Core.Domain;

namespace Tally.Server.Api.Events;

/// <summary>
/// The <c>aggregate_on: "deducted"</c> breakdown: per bin, per feature owning a balance, per balance (or rollover),
/// what the ledger rows' deltas took from it. The credit cost is the tracked-to-balance ratio the deltas show when
/// every event of the balance in the bin had the same one (and it is not 1), else null.
/// </summary>
internal sealed class AggregateDeductions(int bins, Catalog catalog, IReadOnlyDictionary<string, string?> sourceEntities, bool grouped)
{
    private sealed class Cell
    {
        public required SourceDelta First { get; init; }
        public decimal Deducted { get; set; }
        public HashSet<string> Events { get; } = new(StringComparer.Ordinal);
        public decimal? Ratio { get; set; }
        public bool RatioVaries { get; set; }
        public Dictionary<string, decimal> Groups { get; } = new(StringComparer.Ordinal);
    }

    // bin → balance id → cell; balance ids are unique across features, so the feature is read from the cell.
    private readonly Dictionary<string, Cell>[] _cells = Enumerable.Range(0, bins).Select(_ => new Dictionary<string, Cell>(StringComparer.Ordinal)).ToArray();

    public void Add(LedgerEvent e, int bin, string? group)
    {
        foreach (var perBalance in e.Deltas.GroupBy(d => d.RolloverId ?? d.SourceId, StringComparer.Ordinal))
        {
            var amount = perBalance.Sum(d => d.Value);
            var cells = _cells[bin];
            if (!cells.TryGetValue(perBalance.Key, out var cell))
            {
                cells[perBalance.Key] = cell = new Cell { First = perBalance.First() };
            }
            cell.Deducted += amount;
            cell.Events.Add(e.Id);
            if (e.Value != 0)
            {
                var ratio = amount / e.Value;
                if (cell.Ratio is { } r && r != ratio)
                {
                    cell.RatioVaries = true;
                }
                cell.Ratio ??= ratio;
            }
            if (group is not null)
            {
                cell.Groups[group] = cell.Groups.GetValueOrDefault(group) + amount;
            }
        }
    }

    private static decimal? Cost(Cell c) => c.RatioVaries || c.Ratio is null or 1m ? null : c.Ratio;

    public List<DeductionPeriod> ToWire(IReadOnlyList<long> periods, HashSet<string>? kept, bool hasOther)
    {
        var list = new List<DeductionPeriod>(periods.Count);
        for (var i = 0; i < periods.Count; i++)
        {
            var period = new DeductionPeriod { Period = periods[i] };
            foreach (var (balanceId, cell) in _cells[i].OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                var featureId = cell.First.FeatureId;
                if (!period.Values.TryGetValue(featureId, out var feature))
                {
                    period.Values[featureId] = feature = new DeductionFeature
                    {
                        FeatureType = catalog.Feature(featureId)?.Type == FeatureType.CreditSystem ? "credit_system" : "metered",
                    };
                }
                feature.Deducted += cell.Deducted;
                feature.Balances.Add(new DeductionBalance
                {
                    BalanceId = balanceId,
                    EntityId = sourceEntities.GetValueOrDefault(cell.First.SourceId),
                    PlanId = cell.First.PlanId,
                    Reset = cell.First.Interval is { } iv && iv != ResetInterval.OneOff
                        ? new DeductionReset { Interval = iv.ToWire(), ResetsAt = cell.First.ResetsAt?.ToUnixTimeMilliseconds() }
                        : null,
                    CreditCost = Cost(cell),
                    Deducted = cell.Deducted,
                    Events = cell.Events.Count,
                });
            }
            foreach (var (featureId, feature) in period.Values)
            {
                feature.Events = _cells[i].Values.Where(c => c.First.FeatureId == featureId).SelectMany(c => c.Events).Distinct(StringComparer.Ordinal).LongCount();
            }
            if (grouped && kept is not null)
            {
                period.GroupedValues = new Dictionary<string, Dictionary<string, DeductionGroupValue>>(StringComparer.Ordinal);
                foreach (var (balanceId, cell) in _cells[i])
                {
                    var g = new Dictionary<string, DeductionGroupValue>(StringComparer.Ordinal);
                    foreach (var (value, amount) in cell.Groups)
                    {
                        var key = kept.Contains(value) || !hasOther ? value : AggregateRules.OtherGroup;
                        (g.TryGetValue(key, out var v) ? v : g[key] = new DeductionGroupValue { CreditCost = Cost(cell) }).Deducted += amount;
                    }
                    period.GroupedValues[balanceId] = g;
                }
            }
            list.Add(period);
        }
        return list;
    }
}
