using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// Plan-level default billing controls, combined with a subject's own as Autumn resolves them
/// (<c>shared/utils/fullSubjectUtils/planBillingControlUtils.ts</c>, <c>mergeCustomerBillingControlsForCheck.ts</c>):
/// the subject's own entry for an identity shadows every plan's entry for it (so a customer can loosen or switch off a
/// plan default); among the plans the subject holds, the most restrictive entry wins.
/// </summary>
public static class PlanDefaults
{
    /// <summary>
    /// The default controls of the plans a subject holds right now (the customer's own plans, or the entity's), the
    /// most recently started first: active (trials included), started, not ended.
    /// </summary>
    public static IReadOnlyList<BillingControls> Of(Working w, Catalog catalog, string? entityId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(catalog);
        List<(CustomerPlan Plan, BillingControls Controls)>? found = null;
        foreach (var p in w.Plans())
        {
            if (p.EntityId != entityId || p.Status != AttachmentStatus.Active || p.StartedAt > now || p.EndsAt <= now
                || catalog.PlanControls(p.PlanId, p.PlanVersion) is not { } c)
            {
                continue;
            }
            (found ??= []).Add((p, c));
        }
        if (found is null)
        {
            return [];
        }
        return found.OrderByDescending(x => x.Plan.StartedAt).ThenByDescending(x => x.Plan.Id, StringComparer.Ordinal)
            .Select(x => x.Controls).ToList();
    }

    /// <summary>
    /// The subject's controls with the plans' defaults filling the identities it leaves open; null when neither has any.
    /// <paramref name="plans"/> are ordered most recent first (alerts go to the most recent plan carrying them).
    /// </summary>
    public static BillingControls? Inherit(BillingControls? own, IReadOnlyList<BillingControls> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        if (plans.Count == 0)
        {
            return own;
        }
        own ??= new BillingControls([], [], [], []);
        var merged = new BillingControls(
            UsageLimits(own.UsageLimits, plans),
            Overage(own.OverageAllowed, plans),
            Spend(own.SpendLimits, plans),
            Alerts(own.UsageAlerts, plans));
        return merged.IsEmpty ? null : merged;
    }

    // Identity (feature, filter) as in Autumn's usageLimitIdentity: one plan cap per identity, the stricter one.
    private static List<UsageLimit> UsageLimits(IReadOnlyList<UsageLimit> own, IReadOnlyList<BillingControls> plans)
    {
        var result = own.ToList();
        var picked = new List<UsageLimit>();
        foreach (var l in plans.SelectMany(p => p.UsageLimits))
        {
            if (own.Any(o => SameIdentity(o, l)))
            {
                continue;
            }
            var i = picked.FindIndex(x => SameIdentity(x, l));
            if (i < 0) picked.Add(l);
            else picked[i] = StricterUsageLimit(picked[i], l);
        }
        result.AddRange(picked);
        return result;
    }

    private static bool SameIdentity(UsageLimit a, UsageLimit b) => a.FeatureId == b.FeatureId && a.FilterJson == b.FilterJson;

    /// <summary>
    /// Autumn's <c>pickStricterUsageLimit</c>: enabled beats disabled; the same interval compares limits, different
    /// intervals compare the rate per day (month 30 days, year 365); at equal rates a UTC window beats a billing-cycle
    /// one; else the first stays.
    /// </summary>
    public static UsageLimit StricterUsageLimit(UsageLimit left, UsageLimit right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (left.Enabled != right.Enabled)
        {
            return left.Enabled ? left : right;
        }
        if (left.Interval == right.Interval)
        {
            if (left.Limit != right.Limit)
            {
                return right.Limit < left.Limit ? right : left;
            }
        }
        else
        {
            var (l, r) = (left.Limit / Days(left.Interval), right.Limit / Days(right.Interval));
            if (l != r)
            {
                return r < l ? right : left;
            }
        }
        if (left.BillingCycleAnchor != right.BillingCycleAnchor)
        {
            return left.BillingCycleAnchor ? right : left;
        }
        return left;
    }

    private static decimal Days(ControlWindow w) => w switch
    {
        ControlWindow.Day => 1m,
        ControlWindow.Week => 7m,
        ControlWindow.Month => 30m,
        _ => 365m,
    };

    // Autumn's pickStricterOverageAllowed: a disabled entry beats an enabled one.
    private static List<OverageControl> Overage(IReadOnlyList<OverageControl> own, IReadOnlyList<BillingControls> plans)
    {
        var result = own.ToList();
        var picked = new List<OverageControl>();
        foreach (var o in plans.SelectMany(p => p.OverageAllowed))
        {
            if (own.Any(x => x.FeatureId == o.FeatureId))
            {
                continue;
            }
            var i = picked.FindIndex(x => x.FeatureId == o.FeatureId);
            if (i < 0) picked.Add(o);
            else if (picked[i].Enabled) picked[i] = o;
        }
        result.AddRange(picked);
        return result;
    }

    // Every plan entry for an open identity is kept: the engine binds the least room of the enabled ones, which is
    // Autumn's pickStricterSpendLimit (enabled first, then the lower limit, percentages made absolute) without having
    // to resolve percentages here.
    private static List<SpendLimit> Spend(IReadOnlyList<SpendLimit> own, IReadOnlyList<BillingControls> plans)
    {
        var result = own.ToList();
        result.AddRange(plans.SelectMany(p => p.SpendLimits).Where(s => !own.Any(o => o.FeatureId == s.FeatureId)));
        return result;
    }

    // Autumn's mergePlanUsageAlerts: the subject's alerts for a feature shadow all plan alerts for it; otherwise the
    // most recent plan carrying alerts for the feature owns it.
    private static List<UsageAlert> Alerts(IReadOnlyList<UsageAlert> own, IReadOnlyList<BillingControls> plans)
    {
        var result = own.ToList();
        var owner = new Dictionary<string, int>(StringComparer.Ordinal);
        var ownFeatures = own.Select(a => Key(a.FeatureId)).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < plans.Count; i++)
        {
            foreach (var a in plans[i].UsageAlerts)
            {
                var key = Key(a.FeatureId);
                if (ownFeatures.Contains(key) || owner.GetValueOrDefault(key, i) != i)
                {
                    continue;
                }
                owner[key] = i;
                result.Add(a);
            }
        }
        return result;
    }

    // "*" cannot be a feature id (ids are letters, digits, '_' and '-'), so it names "every feature" unambiguously.
    private static string Key(string? featureId) => featureId ?? "*";
}
