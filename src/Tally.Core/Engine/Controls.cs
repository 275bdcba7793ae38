using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// The billing controls that bear on one request: the customer's and, when the request names one, the entity's.
/// Resolved once per request and only when either subject has controls, so a customer without any pays one check.
/// Where both subjects configure the same feature the most restrictive answer wins: any disabled overage forbids it,
/// both spend limits and both usage limits bind. Each subject's own entries come first; the plans it holds fill the gaps.
/// </summary>
public sealed class Controls
{
    private readonly BillingControls? _customer;
    private readonly BillingControls? _entity;
    private readonly string? _entityId;

    private Controls(BillingControls? customer, BillingControls? entity, string? entityId)
    {
        _customer = customer;
        _entity = entity;
        _entityId = entityId;
    }

    /// <summary>
    /// The controls for a request on this subject, or null when neither the customer nor the entity has any, own or
    /// inherited from the plans they hold (<see cref="PlanDefaults"/>).
    /// </summary>
    public static Controls? Resolve(Working w, Catalog catalog, string? entityId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(catalog);
        var customerJson = w.Customer.BillingControlsJson;
        var entity = entityId is null ? null : w.Entity(entityId);
        var entityJson = entity?.BillingControlsJson;
        var plans = catalog.AnyPlanControls;
        if (!plans && customerJson.Length <= 2 && (entityJson is null || entityJson.Length <= 2))
        {
            return null;
        }
        var c = BillingControls.FromStored(customerJson);
        var e = entityJson is null ? null : BillingControls.FromStored(entityJson);
        if (plans)
        {
            c = PlanDefaults.Inherit(c, PlanDefaults.Of(w, catalog, null, now));
            e = entity is null ? e : PlanDefaults.Inherit(e, PlanDefaults.Of(w, catalog, entityId, now));
        }
        return c is null && e is null ? null : new Controls(c, e, entity is null ? null : entityId);
    }

    private IEnumerable<(BillingControls Controls, string? EntityId)> Subjects()
    {
        if (_customer is not null) yield return (_customer, null);
        if (_entity is not null) yield return (_entity, _entityId);
    }

    /// <summary>The overage override for a feature: false when any subject disables it, true when one enables it, else null.</summary>
    public bool? OverageAllowed(string featureId)
    {
        bool? result = null;
        foreach (var (c, _) in Subjects())
        {
            foreach (var o in c.OverageAllowed)
            {
                if (o.FeatureId != featureId) continue;
                if (!o.Enabled) return false;
                result = true;
            }
        }
        return result;
    }

    /// <summary>
    /// The overage still allowed for a feature under its enabled spend limits (the strictest), given the candidate
    /// sources of that feature at their current balances; null when no spend limit applies.
    /// </summary>
    internal decimal? SpendRoom(string featureId, decimal overageUsed, decimal granted)
    {
        decimal? room = null;
        foreach (var (c, _) in Subjects())
        {
            foreach (var s in c.SpendLimits)
            {
                if (!s.Enabled || s.OverageLimit is not { } limit || (s.FeatureId is not null && s.FeatureId != featureId)) continue;
                var cap = s.UsagePercentage ? limit / 100m * granted : limit;
                var left = Math.Max(0m, cap - overageUsed);
                room = room is null ? left : Math.Min(room.Value, left);
            }
        }
        return room;
    }

    /// <summary>True when any enabled spend limit names the feature.</summary>
    public bool HasSpendLimit(string featureId) =>
        Subjects().Any(s => s.Controls.SpendLimits.Any(x => x.Enabled && x.OverageLimit is not null && (x.FeatureId is null || x.FeatureId == featureId)));

    /// <summary>The usage limits that count an event of this feature with these properties, with the subject each belongs to.</summary>
    private IEnumerable<(UsageLimit Limit, string? EntityId)> Applicable(string featureId, string propertiesJson)
    {
        foreach (var (c, entity) in Subjects())
        {
            foreach (var l in c.UsageLimits)
            {
                if (l.Enabled && l.FeatureId == featureId && (l.FilterJson is null || ControlFilter.Matches(l.FilterJson, propertiesJson)))
                {
                    yield return (l, entity);
                }
            }
        }
    }

    /// <summary>The units the usage limits still let through in their current windows (the least of them), or null if none applies.</summary>
    public decimal? WindowRoom(Working w, string featureId, string propertiesJson, DateTimeOffset now)
    {
        decimal? room = null;
        foreach (var (l, entity) in Applicable(featureId, propertiesJson))
        {
            var left = Math.Max(0m, l.Limit - Used(w, l, entity, now));
            room = room is null ? left : Math.Min(room.Value, left);
        }
        return room;
    }

    /// <summary>
    /// Counts <paramref name="units"/> tracked units against every applicable window, writing the subjects' control
    /// state, and raises <see cref="LimitReached"/> (usage_limit) for each window this count fills.
    /// </summary>
    public void Count(Working w, string featureId, string propertiesJson, decimal units, DateTimeOffset now)
    {
        if (units <= 0) return;
        foreach (var (l, entity) in Applicable(featureId, propertiesJson).ToList())
        {
            var start = ControlWindows.Start(w, l, now);
            var state = StateOf(w, entity);
            var windows = state.Windows.ToList();
            var i = windows.FindIndex(x => x.FeatureId == l.FeatureId && x.Interval == l.Interval && x.FilterJson == l.FilterJson);
            var before = i >= 0 && windows[i].Start == start ? windows[i].Used : 0m;
            var counter = new WindowCounter(l.FeatureId, l.Interval, l.FilterJson, start, before + units);
            if (i >= 0) windows[i] = counter;
            else windows.Add(counter);
            SetState(w, entity, state with { Windows = windows });
            if (before < l.Limit && before + units >= l.Limit)
            {
                w.Raise(new LimitReached { CustomerId = w.Customer.Id, EntityId = entity, FeatureId = featureId, LimitType = "usage_limit" });
            }
        }
    }

    private static decimal Used(Working w, UsageLimit l, string? entity, DateTimeOffset now)
    {
        var start = ControlWindows.Start(w, l, now);
        foreach (var c in StateOf(w, entity).Windows)
        {
            if (c.FeatureId == l.FeatureId && c.Interval == l.Interval && c.FilterJson == l.FilterJson)
            {
                return c.Start == start ? c.Used : 0m;
            }
        }
        return 0m;
    }

    /// <summary>The alerts configured for a feature on either subject, with the subject each belongs to.</summary>
    public IEnumerable<(UsageAlert Alert, string? EntityId)> AlertsFor(string featureId)
    {
        foreach (var (c, entity) in Subjects())
        {
            foreach (var a in c.UsageAlerts)
            {
                if (a.Enabled && (a.FeatureId is null || a.FeatureId == featureId)) yield return (a, entity);
            }
        }
    }

    internal static ControlState StateOf(Working w, string? entity) =>
        (entity is null ? w.Customer.ControlState : w.Entity(entity)?.ControlState) ?? new ControlState();

    internal static void SetState(Working w, string? entity, ControlState state)
    {
        if (entity is null)
        {
            w.SetCustomer(w.Customer with { ControlState = state });
        }
        else if (w.Entity(entity) is { } e)
        {
            w.Put(e with { ControlState = state });
        }
    }
}

/// <summary>Where a usage limit's current window starts: on the UTC calendar, or on the customer's billing cycle.</summary>
public static class ControlWindows
{
    public static DateTimeOffset Start(Working w, UsageLimit l, DateTimeOffset now)
    {
        now = now.ToUniversalTime();
        var interval = l.Interval switch
        {
            ControlWindow.Day => ResetInterval.Day,
            ControlWindow.Week => ResetInterval.Week,
            ControlWindow.Month => ResetInterval.Month,
            _ => ResetInterval.Year,
        };
        var anchor = l.BillingCycleAnchor ? BillingAnchor(w, now) : UtcAnchor(l.Interval);
        if (anchor > now)
        {
            anchor = UtcAnchor(l.Interval);
        }
        var next = Calendar.NextAfter(anchor, interval, 1, now);
        // The window starts one step before the next boundary; walk back on the anchored grid, never by subtraction,
        // so a month anchored on the 31st keeps its clamped boundaries.
        var nominal = interval.NominalLength(1);
        var step = Math.Max(0, (long)((next - anchor).Ticks / nominal.Ticks) + 1);
        while (step > 0 && Calendar.Add(anchor, interval, 1, step) >= next)
        {
            step--;
        }
        return Calendar.Add(anchor, interval, 1, step);
    }

    // A fixed UTC grid: days at midnight, weeks on Monday, months on the 1st, years on 1 January (2001-01-01 is all four).
    private static DateTimeOffset UtcAnchor(ControlWindow _) => new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // The billing cycle of the customer's earliest active recurring plan, else the customer's creation.
    private static DateTimeOffset BillingAnchor(Working w, DateTimeOffset now)
    {
        DateTimeOffset? anchor = null;
        foreach (var p in w.Plans())
        {
            if (p.Status != AttachmentStatus.Active || !p.Recurring || p.EntityId is not null) continue;
            var a = p.StartedAt;
            if (a <= now && (anchor is null || a < anchor)) anchor = a;
        }
        return anchor ?? w.Customer.CreatedAt;
    }
}
