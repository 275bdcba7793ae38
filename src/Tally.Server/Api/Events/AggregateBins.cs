using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Server.Api.Events;

/// <summary>
/// Accumulates usage into an aggregate's bins: hourly rollup rows, or ledger rows when the answer needs their
/// properties (groups, filters) or deltas (deductions). Pure: fed values, answers a response.
/// </summary>
internal sealed class AggregateBins
{
    private readonly AggregateSpec _spec;
    private readonly AggregateWindow _window;
    private readonly Dictionary<string, string[]> _namesOf;
    private readonly Dictionary<string, List<string>> _featuresOfName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal[]> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AggregateTotal> _totals = new(StringComparer.Ordinal);

    // (feature, group value) → per bin; group value → window total across features (ranks the groups).
    private readonly Dictionary<(string Feature, string Group), decimal[]> _grouped = [];
    private readonly Dictionary<string, decimal> _groupRank = new(StringComparer.Ordinal);
    private readonly AggregateDeductions? _deductions;

    public AggregateBins(AggregateSpec spec, AggregateWindow window, Dictionary<string, string[]> namesOf, Catalog catalog,
        IReadOnlyDictionary<string, string?> sourceEntities)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(namesOf);
        (_spec, _window, _namesOf) = (spec, window, namesOf);
        foreach (var f in spec.FeatureIds)
        {
            _values[f] = new decimal[window.Bins.Count];
            _totals[f] = new AggregateTotal();
            foreach (var n in namesOf[f])
            {
                (_featuresOfName.TryGetValue(n, out var list) ? list : _featuresOfName[n] = []).Add(f);
            }
        }
        _deductions = spec.Deducted ? new AggregateDeductions(window.Bins.Count, catalog, sourceEntities, spec.Group != GroupKind.None) : null;
    }

    /// <summary>Every ledger name to read.</summary>
    public IReadOnlyList<string> Names => [.. _featuresOfName.Keys];

    /// <summary>The bin holding <paramref name="ms"/>, or -1 when outside the window.</summary>
    public int BinIndex(long ms)
    {
        if (ms < _window.StartMs || ms >= _window.EndMs || _window.Bins.Count == 0)
        {
            return -1;
        }
        var bins = _window.Bins;
        var i = BinarySearchFloor(bins, AggregateRules.BinStart(ms, _spec.Bin));
        return i;
    }

    private static int BinarySearchFloor(IReadOnlyList<long> bins, long start)
    {
        int lo = 0, hi = bins.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (bins[mid] == start)
            {
                return mid;
            }
            if (bins[mid] < start)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return -1;
    }

    /// <summary>Adds one hour of the rollup.</summary>
    public void AddHour(UsageHour h)
    {
        ArgumentNullException.ThrowIfNull(h);
        var bin = BinIndex(h.HourMs);
        if (bin < 0 || !_featuresOfName.TryGetValue(h.Name, out var features))
        {
            return;
        }
        foreach (var f in features)
        {
            _values[f][bin] += h.Sum;
            _totals[f].Count += h.Count;
            _totals[f].Sum += h.Sum;
        }
    }

    /// <summary>
    /// Adds one ledger row: counted into the values when <paramref name="countValues"/> (filters make the rollup
    /// unusable), into the groups and the deductions as asked. Rows failing a filter are skipped entirely.
    /// </summary>
    public void AddEvent(LedgerEvent e, bool countValues)
    {
        ArgumentNullException.ThrowIfNull(e);
        var bin = BinIndex(e.Timestamp.ToUnixTimeMilliseconds());
        if (bin < 0 || !UsageRollup.Counts(e) || !_featuresOfName.TryGetValue(e.EventName, out var features))
        {
            return;
        }
        JsonElement? props = null;
        if (_spec.Filters.Count > 0 || _spec.Group == GroupKind.Property)
        {
            props = JsonDocument.Parse(e.PropertiesJson).RootElement;
        }
        foreach (var (path, value) in _spec.Filters)
        {
            if (Lookup(props!.Value, path) != value)
            {
                return;
            }
        }
        var group = _spec.Group switch
        {
            GroupKind.None => null,
            GroupKind.Property => Lookup(props!.Value, _spec.GroupPath) ?? "",
            GroupKind.Customer => e.CustomerId,
            GroupKind.Entity => e.EntityId ?? "",
            _ => e.Deltas.FirstOrDefault(d => d.PlanId is not null)?.PlanId ?? "",
        };
        foreach (var f in features)
        {
            if (countValues)
            {
                _values[f][bin] += e.Value;
                _totals[f].Count++;
                _totals[f].Sum += e.Value;
            }
            if (group is not null)
            {
                var key = (f, group);
                (_grouped.TryGetValue(key, out var row) ? row : _grouped[key] = new decimal[_window.Bins.Count])[bin] += e.Value;
                _groupRank[group] = _groupRank.GetValueOrDefault(group) + Math.Abs(e.Value);
            }
        }
        _deductions?.Add(e, bin, group);
    }

    /// <summary>A property's value as text (strings as is, other JSON as written), or null when missing.</summary>
    private static string? Lookup(JsonElement props, IReadOnlyList<string> path)
    {
        var cur = props;
        foreach (var p in path)
        {
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(p, out cur))
            {
                return null;
            }
        }
        return cur.ValueKind switch
        {
            JsonValueKind.String => cur.GetString(),
            JsonValueKind.Null => null,
            _ => cur.GetRawText(),
        };
    }

    /// <summary>The answer: every bin (zeros included), totals, and groups with the smaller ones folded into Other.</summary>
    public AggregateEventsResponse ToResponse()
    {
        HashSet<string>? kept = null;
        var hasOther = false;
        if (_spec.Group != GroupKind.None)
        {
            var ranked = _groupRank.OrderByDescending(g => g.Value).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();
            kept = ranked.Take(_spec.MaxGroups).ToHashSet(StringComparer.Ordinal);
            hasOther = ranked.Count > _spec.MaxGroups;
        }
        var list = new List<AggregatePeriod>(_window.Bins.Count);
        for (var i = 0; i < _window.Bins.Count; i++)
        {
            var p = new AggregatePeriod
            {
                Period = _window.Bins[i],
                Values = _spec.FeatureIds.ToDictionary(f => f, f => _values[f][i], StringComparer.Ordinal),
            };
            if (kept is not null)
            {
                p.GroupedValues = new Dictionary<string, Dictionary<string, decimal>>(StringComparer.Ordinal);
                foreach (var f in _spec.FeatureIds)
                {
                    var g = kept.ToDictionary(k => k, _ => 0m, StringComparer.Ordinal);
                    if (hasOther)
                    {
                        g[AggregateRules.OtherGroup] = 0m;
                    }
                    p.GroupedValues[f] = g;
                }
                foreach (var ((f, group), row) in _grouped)
                {
                    p.GroupedValues[f][kept.Contains(group) ? group : AggregateRules.OtherGroup] += row[i];
                }
            }
            list.Add(p);
        }
        return new AggregateEventsResponse
        {
            List = list,
            Total = new Dictionary<string, AggregateTotal>(_totals, StringComparer.Ordinal),
            Deductions = _deductions?.ToWire(_window.Bins, kept, hasOther),
        };
    }
}
