using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;

namespace Tally.Server.Api.Events;

internal enum BinSize
{
    Hour,
    Day,
    Week,
    Month,
}

internal enum GroupKind
{
    None,
    Property,
    Customer,
    Entity,
    Plan,
}

/// <summary>A validated <c>events.aggregate</c> request.</summary>
internal sealed record AggregateSpec
{
    public string? CustomerId { get; init; }
    public string? EntityId { get; init; }
    public required IReadOnlyList<string> FeatureIds { get; init; }
    public string? Range { get; init; }
    public long? CustomStart { get; init; }
    public long? CustomEnd { get; init; }
    public BinSize Bin { get; init; }
    public GroupKind Group { get; init; }

    /// <summary>The property path of a <c>properties.&lt;name&gt;</c> group (dots step into objects).</summary>
    public IReadOnlyList<string> GroupPath { get; init; } = [];
    public IReadOnlyList<(IReadOnlyList<string> Path, string Value)> Filters { get; init; } = [];
    public int MaxGroups { get; init; } = AggregateRules.DefaultMaxGroups;
    public bool Deducted { get; init; }

    /// <summary>Whether the answer needs the ledger rows themselves (properties, plans, deltas), not only the rollup.</summary>
    public bool ScansLedger => Group != GroupKind.None || Filters.Count > 0 || Deducted;
}

/// <summary>The window of an aggregate, in whole UTC hours: [Start, End), and its bin starts.</summary>
internal sealed record AggregateWindow(long StartMs, long EndMs, IReadOnlyList<long> Bins);

/// <summary>The pure decisions of <c>events.aggregate</c>: validation, the window, binning.</summary>
internal static class AggregateRules
{
    public const int DefaultMaxGroups = 9;
    public const int MaxFilters = 5;

    /// <summary>At most this many bins an answer (400 days of hours fit), so every answer stays bounded.</summary>
    public const int MaxBins = 10_000;

    public const string OtherGroup = "Other";

    private static readonly string[] Ranges = ["24h", "7d", "30d", "90d", "last_cycle", "1bc", "3bc"];

    /// <summary>Checks every field; the error names the field.</summary>
    public static (AggregateSpec? Spec, string? Error) Validate(AggregateEventsParams r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.CustomerId is "")
        {
            return (null, "customer_id: must be a non-empty string");
        }
        if (r.EntityId is "")
        {
            return (null, "entity_id: must be a non-empty string");
        }
        List<string> features;
        switch (r.FeatureId)
        {
            case { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } one:
                features = [one];
                break;
            case { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() is > 0 and <= 100
                && a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 }):
                features = a.EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal).ToList();
                break;
            default:
                return (null, "feature_id: required, a non-empty string or an array of 1 to 100 non-empty strings");
        }
        if ((r.Range is null) == (r.CustomRange is null))
        {
            return (null, "range: exactly one of range and custom_range is required");
        }
        if (r.Range is { } range && !Ranges.Contains(range, StringComparer.Ordinal))
        {
            return (null, "range: must be one of 24h, 7d, 30d, 90d, last_cycle, 1bc, 3bc");
        }
        if (r.CustomRange is { } cr)
        {
            if (cr.Start is not { } s || cr.End is not { } e)
            {
                return (null, "custom_range: start and end are required");
            }
            if (s is < 0 or > Limits.MaxTimestamp || e is < 0 or > Limits.MaxTimestamp)
            {
                return (null, $"custom_range: start and end must be milliseconds since the epoch, from 0 to {Limits.MaxTimestamp}");
            }
            if (s > e)
            {
                return (null, "custom_range: start must not be after end");
            }
        }
        BinSize bin;
        switch (r.BinSize)
        {
            case null:
                bin = r.Range == "24h" ? BinSize.Hour : BinSize.Day;
                break;
            case "hour":
                bin = BinSize.Hour;
                break;
            case "day":
                bin = BinSize.Day;
                break;
            case "week":
                bin = BinSize.Week;
                break;
            case "month":
                bin = BinSize.Month;
                break;
            default:
                return (null, "bin_size: must be one of hour, day, week, month");
        }
        var group = GroupKind.None;
        IReadOnlyList<string> groupPath = [];
        switch (r.GroupBy)
        {
            case null:
                break;
            case "$customer_id":
                group = GroupKind.Customer;
                break;
            case "$entity_id":
                group = GroupKind.Entity;
                break;
            case "$plan_id":
                group = GroupKind.Plan;
                break;
            case { } g when g.StartsWith("properties.", StringComparison.Ordinal) && PropertyPath(g["properties.".Length..]) is { } path:
                group = GroupKind.Property;
                groupPath = path;
                break;
            default:
                return (null, "group_by: must be properties.<name>, $customer_id, $entity_id or $plan_id");
        }
        var filters = new List<(IReadOnlyList<string>, string)>();
        if (r.FilterBy is { } filterBy)
        {
            if (filterBy.Count > MaxFilters)
            {
                return (null, $"filter_by: at most {MaxFilters} filters");
            }
            foreach (var (key, value) in filterBy.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                // A leading "properties." is accepted and dropped: filters are always on properties.
                var name = key.StartsWith("properties.", StringComparison.Ordinal) ? key["properties.".Length..] : key;
                if (PropertyPath(name) is not { } path || value.ValueKind != JsonValueKind.String)
                {
                    return (null, "filter_by: each key must be a property name and each value a string");
                }
                filters.Add((path, value.GetString()!));
            }
        }
        if (r.MaxGroups is { } mg && mg is < 1 or > 250)
        {
            return (null, "max_groups: must be between 1 and 250");
        }
        var deducted = false;
        if (r.AggregateOn is { } on)
        {
            if (on != "deducted")
            {
                return (null, "aggregate_on: must be deducted");
            }
            if (r.CustomerId is null)
            {
                return (null, "customer_id: required when aggregate_on is set");
            }
            if (group == GroupKind.Plan)
            {
                return (null, "group_by: $plan_id is not supported with aggregate_on (deductions carry each balance's plan)");
            }
            if (filters.Count > 0)
            {
                return (null, "filter_by: not supported with aggregate_on");
            }
            deducted = true;
        }
        return (new AggregateSpec
        {
            CustomerId = r.CustomerId,
            EntityId = r.EntityId,
            FeatureIds = features,
            Range = r.Range,
            CustomStart = r.CustomRange?.Start,
            CustomEnd = r.CustomRange?.End,
            Bin = bin,
            Group = group,
            GroupPath = groupPath,
            Filters = filters,
            MaxGroups = r.MaxGroups ?? DefaultMaxGroups,
            Deducted = deducted,
        }, null);
    }

    private static string[]? PropertyPath(string name)
    {
        if (name.Length is 0 or > 200)
        {
            return null;
        }
        var parts = name.Split('.');
        return parts.All(p => p.Length > 0) ? parts : null;
    }

    /// <summary>
    /// The window: relative ranges end at <paramref name="now"/> (the customer's own, under a test clock); billing
    /// cycles come from <paramref name="cycle"/> (the customer's current period) and, with none, fall back to the last
    /// day, as Autumn does. Widened to whole UTC hours (the rollup's grain) and cut at now. Null when it would need
    /// more than <see cref="MaxBins"/> bins.
    /// </summary>
    public static AggregateWindow? Window(AggregateSpec spec, DateTimeOffset now, (DateTimeOffset Start, DateTimeOffset End)? cycle,
        DateTimeOffset? customerCreatedAt)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var nowMs = now.ToUnixTimeMilliseconds();
        long start, end;
        if (spec.CustomStart is { } cs && spec.CustomEnd is { } ce)
        {
            (start, end) = (cs, ce);
        }
        else
        {
            const long day = 86_400_000;
            (start, end) = spec.Range switch
            {
                "24h" => (nowMs - day, nowMs),
                "7d" => (nowMs - (7 * day), nowMs),
                "30d" => (nowMs - (30 * day), nowMs),
                "90d" => (nowMs - (90 * day), nowMs),
                _ when cycle is not { } c => (nowMs - day, nowMs),
                "1bc" => (nowMs - Gap(cycle.Value), nowMs),
                "3bc" => (nowMs - (3 * Gap(cycle.Value)), nowMs),
                // The cycle before the current one, unless the customer did not exist then.
                _ => customerCreatedAt >= cycle.Value.Start
                    ? (cycle.Value.Start.ToUnixTimeMilliseconds(), cycle.Value.End.ToUnixTimeMilliseconds())
                    : (cycle.Value.Start.ToUnixTimeMilliseconds() - Gap(cycle.Value), cycle.Value.Start.ToUnixTimeMilliseconds()),
            };
        }
        start = Math.Max(0, start);
        end = Math.Min(end, nowMs);
        var startHour = UsageRollup.HourOf(start);
        var endHour = UsageRollup.HourOf(end) + UsageRollup.HourMs;
        if (end < start)
        {
            return new AggregateWindow(startHour, startHour, []);
        }
        var bins = new List<long>();
        for (var b = BinStart(start, spec.Bin); b <= end; b = NextBin(b, spec.Bin))
        {
            if (bins.Count == MaxBins)
            {
                return null;
            }
            bins.Add(b);
        }
        return new AggregateWindow(startHour, endHour, bins);
    }

    private static long Gap((DateTimeOffset Start, DateTimeOffset End) c) => (long)(c.End - c.Start).TotalMilliseconds;

    /// <summary>The start of the UTC bin holding <paramref name="ms"/> (weeks start on Monday).</summary>
    public static long BinStart(long ms, BinSize bin)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(UsageRollup.HourOf(ms));
        var d = new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero);
        return bin switch
        {
            BinSize.Hour => t.ToUnixTimeMilliseconds(),
            BinSize.Day => d.ToUnixTimeMilliseconds(),
            BinSize.Week => d.AddDays(-(((int)d.DayOfWeek + 6) % 7)).ToUnixTimeMilliseconds(),
            _ => new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(),
        };
    }

    private static long NextBin(long ms, BinSize bin)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return (bin switch
        {
            BinSize.Hour => t.AddHours(1),
            BinSize.Day => t.AddDays(1),
            BinSize.Week => t.AddDays(7),
            _ => t.AddMonths(1),
        }).ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// The customer's billing cycle: its first active customer-level plan's current period (base plans before
    /// add-ons), else the period of its first resetting balance; rolled forward to hold <paramref name="now"/>.
    /// </summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? Cycle(CustomerState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var plan = state.Plans
            .Where(p => p.EntityId is null && p.Status == AttachmentStatus.Active && p.CurrentPeriodStart is not null
                && p.CurrentPeriodEnd is { } e && e > p.CurrentPeriodStart)
            .OrderBy(p => p.AddOn).ThenBy(p => p.StartedAt).ThenBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault();
        if (plan is not null)
        {
            return Roll(plan.CurrentPeriodStart!.Value, plan.CurrentPeriodEnd!.Value, now);
        }
        var source = state.Sources
            .Where(s => s.EntityId is null && s.NextResetAt is not null && s.Interval is { } i && i != ResetInterval.OneOff)
            .OrderBy(s => s.Seq).FirstOrDefault();
        if (source is null)
        {
            return null;
        }
        var end = source.NextResetAt!.Value;
        return Roll(Calendar.Add(end, source.Interval!.Value, source.IntervalCount, -1), end, now);
    }

    private static (DateTimeOffset, DateTimeOffset) Roll(DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        var gap = end - start;
        if (end <= now)
        {
            var k = ((now - start).Ticks / gap.Ticks);
            start += TimeSpan.FromTicks(gap.Ticks * k);
            end = start + gap;
        }
        return (start, end);
    }

    /// <summary>Per requested feature, the ledger names its usage is recorded under: its id and its event names.</summary>
    public static Dictionary<string, string[]> LedgerNames(IReadOnlyList<string> featureIds, Catalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return featureIds.ToDictionary(f => f,
            f => (catalog.Feature(f)?.EventNames ?? []).Prepend(f).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
    }
}
