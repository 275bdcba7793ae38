using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>
/// The time-driven part of a plan's life, settled like resets (lazily on load, by the sweeper for idle customers, and
/// by test-clock advances): a scheduled plan starts, an ending plan (cancelled at the end of its cycle, or a trial
/// that cannot bill) ends, and the group's free default plan takes over when nothing else of the group remains.
/// Transitions apply at their due moment, not at the moment they are noticed, so a late sweep shifts nothing.
/// </summary>
public static class PlanLifecycle
{
    /// <summary>A plan with no price at all; it has no billing cycle to cancel at the end of.</summary>
    public static bool IsFree(Plan plan) => plan.Price is null && plan.Items.All(i => i.Price is null);

    /// <summary>The plan's billing cycle: its base price's interval, else the longest recurring item price (as Autumn).</summary>
    public static (ResetInterval Interval, int Count)? Cycle(Plan? plan)
    {
        if (plan is null)
        {
            return null;
        }
        if (plan.Price is { } p && p.Interval != ResetInterval.OneOff)
        {
            return (p.Interval, Math.Max(1, p.IntervalCount));
        }
        var longest = plan.Items
            .Select(i => i.Price)
            .Where(pr => pr?.Interval is { } iv && iv != ResetInterval.OneOff)
            .Select(pr => (Interval: pr!.Interval!.Value, Count: Math.Max(1, pr.IntervalCount)))
            .OrderByDescending(x => x.Interval.NominalLength(x.Count))
            .FirstOrDefault();
        return longest.Interval == ResetInterval.OneOff ? null : longest;
    }

    /// <summary>The billing period containing <paramref name="now"/>, on the grid anchored where the plan started.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? CurrentPeriod(CustomerPlan cp, Plan? plan, DateTimeOffset now)
    {
        if (Cycle(plan) is not { } c)
        {
            return null;
        }
        var anchor = cp.CurrentPeriodStart ?? cp.StartedAt;
        var at = now < anchor ? anchor : now;
        // Every boundary is computed from the anchor (month steps clamp), so find the last one at or before now.
        var k = Math.Max(0, (long)((at - anchor).Ticks / c.Interval.NominalLength(c.Count).Ticks) - 1);
        while (k > 0 && Calendar.Add(anchor, c.Interval, c.Count, k) > at)
        {
            k--;
        }
        while (Calendar.Add(anchor, c.Interval, c.Count, k + 1) <= at)
        {
            k++;
        }
        return (Calendar.Add(anchor, c.Interval, c.Count, k), Calendar.Add(anchor, c.Interval, c.Count, k + 1));
    }

    /// <summary>The group's free default plan (auto-enabled, not an add-on), other than <paramref name="exceptPlanId"/>.</summary>
    public static Plan? DefaultPlan(Catalog catalog, string? group, string exceptPlanId) =>
        catalog.LatestPlans
            .Where(p => p.AutoEnable && !p.AddOn && !p.Archived && IsFree(p) && p.Id != exceptPlanId
                && string.Equals(p.Group ?? "", group ?? "", StringComparison.Ordinal))
            .OrderBy(p => p.Id, StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>Main (non add-on) attachments of the same scope and group.</summary>
    public static IEnumerable<CustomerPlan> GroupMates(Working w, CustomerPlan cp) =>
        w.Plans().Where(p => p.Id != cp.Id && !p.AddOn && p.EntityId == cp.EntityId
            && string.Equals(p.Group ?? "", cp.Group ?? "", StringComparison.Ordinal));

    /// <summary>Applies every plan transition due by <paramref name="now"/>, oldest first (an end before a start at the same moment).</summary>
    public static void Settle(Working w, Catalog catalog, DateTimeOffset now, IIdGenerator ids)
    {
        var changes = new List<(string? Entity, PlanChange Change)>();
        // Each step removes or activates one due plan, so the loop ends; the bound guards against a catalog surprise.
        for (var guard = 0; guard < 1000; guard++)
        {
            var next = w.Plans()
                .Where(p => p.DueAt() is { } d && d <= now)
                .OrderBy(p => p.DueAt())
                .ThenBy(p => p.Status == AttachmentStatus.Scheduled ? 1 : 0)
                .ThenBy(p => p.Id, StringComparer.Ordinal)
                .FirstOrDefault();
            if (next is null)
            {
                break;
            }
            if (next.Status == AttachmentStatus.Scheduled)
            {
                Activate(w, catalog, next, next.StartedAt, ids, changes);
            }
            else
            {
                End(w, catalog, next, next.EndsAt!.Value, ids, changes);
            }
        }
        Announce(w, changes);
    }

    /// <summary>Ends an attachment at <paramref name="at"/>; the group's default plan starts then if nothing else of the group remains.</summary>
    public static void End(Working w, Catalog catalog, CustomerPlan cp, DateTimeOffset at, IIdGenerator ids,
        List<(string? Entity, PlanChange Change)> changes)
    {
        Grants.Detach(w, cp);
        changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "expired", cp.PlanVersion)));
        if (cp.AddOn || cp.Status == AttachmentStatus.Scheduled || GroupMates(w, cp).Any())
        {
            return;
        }
        if (DefaultPlan(catalog, cp.Group, cp.PlanId) is { } fallback)
        {
            var outcome = Grants.Attach(w, catalog, fallback, cp.EntityId, new Dictionary<string, decimal>(), at, ids);
            if (outcome.Status == AttachStatus.Attached)
            {
                changes.Add((cp.EntityId, new PlanChange(fallback.Id, "activated", fallback.Version)));
            }
        }
    }

    /// <summary>Starts a scheduled attachment at <paramref name="at"/>, replacing the main plan of its group.</summary>
    public static void Activate(Working w, Catalog catalog, CustomerPlan cp, DateTimeOffset at, IIdGenerator ids,
        List<(string? Entity, PlanChange Change)> changes)
    {
        if (catalog.PlanOf(cp) is not { } plan)
        {
            // The plan version is gone from the catalog: nothing can be granted, so the schedule lapses.
            w.DeletePlan(cp.Id);
            return;
        }
        if (!cp.AddOn)
        {
            foreach (var old in GroupMates(w, cp).Where(p => p.Status == AttachmentStatus.Active).ToList())
            {
                Grants.Detach(w, old);
                changes.Add((old.EntityId, new PlanChange(old.PlanId, "expired", old.PlanVersion)));
            }
        }
        var cycle = Cycle(plan);
        var active = cp with
        {
            Status = AttachmentStatus.Active,
            StartedAt = at,
            CurrentPeriodStart = cycle is null ? null : at,
            CurrentPeriodEnd = cycle is { } c ? Calendar.Add(at, c.Interval, c.Count, 1) : null,
        };
        Grants.Grant(w, catalog, plan, active, active.Options, at, ids);
        changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "activated", cp.PlanVersion)));
    }

    /// <summary>Raises one <see cref="PlansChanged"/> per scope that changed.</summary>
    public static void Announce(Working w, IReadOnlyList<(string? Entity, PlanChange Change)> changes)
    {
        foreach (var scope in changes.GroupBy(c => c.Entity ?? "", StringComparer.Ordinal))
        {
            w.Raise(new PlansChanged
            {
                CustomerId = w.Customer.Id,
                EntityId = scope.Key.Length == 0 ? null : scope.Key,
                Changes = scope.Select(c => c.Change).ToList(),
            });
        }
    }
}
