using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// The notifications a deduction raises, decided from the balances before and after it inside the same unit:
/// <see cref="LimitReached"/> once per crossing, <see cref="UsageAlertTriggered"/> once per threshold per period.
/// </summary>
internal static class ControlEffects
{
    /// <summary>
    /// Limits crossed by the pending balances (not yet written): <c>included</c> when a feature's positive balance
    /// reaches zero, <c>max_purchase</c> when a source reaches its floor, <c>spend_limit</c> when the overage reaches
    /// an enabled spend limit. Allocation-free unless something is raised.
    /// </summary>
    public static void RaiseLimits(Working w, PendingBalances pending, Controls? controls, string? entityId)
    {
        HashSet<(string, string)>? raised = null;
        foreach (var (id, after) in pending.Sources)
        {
            var s = w.Source(id);
            if (s is null || s.Unlimited) continue;
            var before = s.Balance;
            if (before > 0 && after <= 0 && RemainingAfter(w, pending, s.FeatureId, entityId) <= 0)
            {
                Raise(w, ref raised, s.FeatureId, "included", entityId);
            }
            if (s.MaxPurchase is { } mp && before > -mp && after <= -mp)
            {
                Raise(w, ref raised, s.FeatureId, "max_purchase", entityId);
            }
            if (controls is not null && after < before && after < 0 && controls.HasSpendLimit(s.FeatureId))
            {
                var (overBefore, overAfter, granted) = Overage(w, pending, s.FeatureId, entityId);
                if (controls.SpendRoom(s.FeatureId, overBefore, granted) > 0 && controls.SpendRoom(s.FeatureId, overAfter, granted) <= 0)
                {
                    Raise(w, ref raised, s.FeatureId, "spend_limit", entityId);
                }
            }
        }
    }

    private static void Raise(Working w, ref HashSet<(string, string)>? raised, string featureId, string type, string? entityId)
    {
        if ((raised ??= []).Add((featureId, type)))
        {
            w.Raise(new LimitReached { CustomerId = w.Customer.Id, EntityId = entityId, FeatureId = featureId, LimitType = type });
        }
    }

    // "Included" is reached when the feature as a whole has nothing left, not when one of several grants empties.
    private static decimal RemainingAfter(Working w, PendingBalances pending, string featureId, string? entityId)
    {
        decimal left = 0;
        foreach (var s in Scope(w, featureId, entityId))
        {
            if (s.Unlimited) return decimal.MaxValue;
            left += Math.Max(0m, pending.Sources.TryGetValue(s.Id, out var p) ? p : s.Balance);
        }
        return left;
    }

    private static (decimal Before, decimal After, decimal Granted) Overage(Working w, PendingBalances pending, string featureId, string? entityId)
    {
        decimal before = 0, after = 0, granted = 0;
        foreach (var s in Scope(w, featureId, entityId))
        {
            before += Math.Max(0m, -s.Balance);
            after += Math.Max(0m, -(pending.Sources.TryGetValue(s.Id, out var p) ? p : s.Balance));
            granted += s.Granted;
        }
        return (before, after, granted);
    }

    private static IEnumerable<BalanceSource> Scope(Working w, string featureId, string? entityId) =>
        entityId is null ? w.SourcesOf(featureId) : w.SourcesOf(featureId, entityId).Concat(w.SourcesOf(featureId, null));

    /// <summary>
    /// Raises each configured alert whose threshold the feature's balance crossed between <paramref name="before"/> and
    /// <paramref name="after"/>, unless it already fired in this period; the fired marks are part of the unit's changes,
    /// and a new period (the balance reset) lets the alert fire again.
    /// </summary>
    public static void RaiseAlerts(Working w, Controls controls, string featureId, BalanceSummary? before, BalanceSummary? after)
    {
        if (before is null || after is null || after.Unlimited) return;
        foreach (var (alert, entity) in controls.AlertsFor(featureId))
        {
            if (!Crossed(alert, before, after)) continue;
            var state = Controls.StateOf(w, entity);
            var period = after.NextResetAt;
            if (state.Alerts.Any(a => a.FeatureId == featureId && a.Key == alert.Key && a.Period == period)) continue;
            // Marks of earlier periods are dropped, so the list stays as small as the configured alerts.
            var alerts = state.Alerts.Where(a => a.FeatureId != featureId || a.Period == period).Append(new FiredAlert(featureId, alert.Key, period)).ToList();
            Controls.SetState(w, entity, state with { Alerts = alerts });
            w.Raise(new UsageAlertTriggered
            {
                CustomerId = w.Customer.Id,
                EntityId = entity,
                FeatureId = featureId,
                AlertName = alert.Name,
                Threshold = alert.Threshold,
                ThresholdType = alert.ThresholdType,
            });
        }
    }

    private static bool Crossed(UsageAlert a, BalanceSummary before, BalanceSummary after)
    {
        static decimal Pct(decimal part, decimal whole) => whole <= 0 ? (part > 0 ? decimal.MaxValue : 0m) : part / whole * 100m;
        return a.ThresholdType switch
        {
            "usage" => before.Usage < a.Threshold && after.Usage >= a.Threshold,
            "usage_percentage" => Pct(before.Usage, before.Granted) < a.Threshold && Pct(after.Usage, after.Granted) >= a.Threshold,
            "remaining" => before.Remaining > a.Threshold && after.Remaining <= a.Threshold,
            _ => Pct(before.Remaining, before.Granted) > a.Threshold && Pct(after.Remaining, after.Granted) <= a.Threshold,
        };
    }
}
