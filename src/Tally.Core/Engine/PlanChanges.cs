using Tally.Core.Domain;

namespace Tally.Core.Engine;

public enum CancelAction
{
    CancelImmediately,
    CancelEndOfCycle,
    Uncancel,
}

/// <summary>Why a plan change was refused (a 400 naming the reason), or null when it applied.</summary>
public sealed record PlanChangeResult(string? Refusal)
{
    public static readonly PlanChangeResult Applied = new((string?)null);

    public bool Ok => Refusal is null;
}

/// <summary>
/// What <c>billing.update</c> does to one attachment, without a payment provider: cancel now or at the end of the
/// billing cycle (the group's free default plan takes over then), take a pending cancellation back, change prepaid
/// quantities, and move to another version of the plan keeping what was used.
/// </summary>
public static class PlanChanges
{
    public static PlanChangeResult Cancel(Working w, Catalog catalog, CustomerPlan cp, CancelAction action, DateTimeOffset now,
        IIdGenerator ids, List<(string? Entity, PlanChange Change)> changes) => action switch
        {
            CancelAction.CancelImmediately => CancelNow(w, catalog, cp, now, ids, changes),
            CancelAction.CancelEndOfCycle => CancelAtCycleEnd(w, catalog, cp, now, ids, changes),
            _ => Uncancel(w, cp, changes),
        };

    private static PlanChangeResult CancelNow(Working w, Catalog catalog, CustomerPlan cp, DateTimeOffset now, IIdGenerator ids,
        List<(string? Entity, PlanChange Change)> changes)
    {
        if (cp.Status == AttachmentStatus.Active && !cp.AddOn)
        {
            // What was scheduled to follow this plan (the default after an end-of-cycle cancel) goes with it.
            foreach (var next in PlanLifecycle.GroupMates(w, cp).Where(p => p.Status == AttachmentStatus.Scheduled).ToList())
            {
                w.DeletePlan(next.Id);
            }
        }
        PlanLifecycle.End(w, catalog, cp, now, ids, changes);
        return PlanChangeResult.Applied;
    }

    private static PlanChangeResult CancelAtCycleEnd(Working w, Catalog catalog, CustomerPlan cp, DateTimeOffset now, IIdGenerator ids,
        List<(string? Entity, PlanChange Change)> changes)
    {
        var plan = catalog.PlanOf(cp);
        if (cp.Status == AttachmentStatus.Scheduled)
        {
            return new("A scheduled plan has not started a billing cycle; use cancel_action 'cancel_immediately' instead");
        }
        if (plan is null || PlanLifecycle.IsFree(plan))
        {
            return new("Free plans do not have billing cycles; use cancel_action 'cancel_immediately' instead");
        }
        if (PlanLifecycle.CurrentPeriod(cp, plan, now) is not { } period)
        {
            return new("One-off plans do not have billing cycles; use cancel_action 'cancel_immediately' instead");
        }
        // During a trial the current cycle is the trial.
        var end = cp.TrialEndsAt is { } trial && trial > now ? trial : period.End;
        w.Put(cp with { CanceledAt = now, EndsAt = end });
        changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "updated", cp.PlanVersion)));
        var mates = PlanLifecycle.GroupMates(w, cp).ToList();
        if (!cp.AddOn && mates.Count == 0 && PlanLifecycle.DefaultPlan(catalog, cp.Group, cp.PlanId) is { } fallback)
        {
            var outcome = Grants.Attach(w, catalog, fallback, cp.EntityId, new Dictionary<string, decimal>(), now, ids, new AttachTerms(StartsAt: end));
            if (outcome.Status == AttachStatus.Attached)
            {
                changes.Add((cp.EntityId, new PlanChange(fallback.Id, "scheduled", fallback.Version)));
            }
        }
        return PlanChangeResult.Applied;
    }

    private static PlanChangeResult Uncancel(Working w, CustomerPlan cp, List<(string? Entity, PlanChange Change)> changes)
    {
        if (cp.Status == AttachmentStatus.Scheduled)
        {
            return new("Cannot uncancel a plan that is scheduled");
        }
        if (cp.CanceledAt is null)
        {
            // Not cancelling: nothing to take back (Autumn treats this as a no-op, not an error).
            return PlanChangeResult.Applied;
        }
        w.Put(cp with { CanceledAt = null, EndsAt = null });
        if (!cp.AddOn)
        {
            foreach (var next in PlanLifecycle.GroupMates(w, cp).Where(p => p.Status == AttachmentStatus.Scheduled).ToList())
            {
                w.DeletePlan(next.Id);
            }
        }
        changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "updated", cp.PlanVersion)));
        return PlanChangeResult.Applied;
    }

    /// <summary>
    /// New prepaid quantities (totals, as at attach): each source's prepaid grant moves to the new amount and its
    /// balance by the same difference, so what was used stays used.
    /// </summary>
    public static void SetQuantities(Working w, Plan plan, CustomerPlan cp, IReadOnlyDictionary<string, decimal> totals,
        DateTimeOffset now, IIdGenerator ids, List<(string? Entity, PlanChange Change)> changes)
    {
        var deltas = new List<SourceDelta>();
        foreach (var (featureId, total) in totals)
        {
            if (plan.Items.FirstOrDefault(i => i.FeatureId == featureId) is not { } item)
            {
                continue;
            }
            var grant = Grants.PrepaidGrant(item, total);
            foreach (var s in w.AllSources().Where(s => s.CustomerPlanId == cp.Id && s.FeatureId == featureId).ToList())
            {
                var diff = grant - s.PrepaidGrant;
                if (diff == 0)
                {
                    continue;
                }
                w.Put(s with { PrepaidGrant = grant, Balance = s.Balance + diff });
                deltas.Add(Waterfall.Delta(s, -diff, null));
            }
        }
        var options = new Dictionary<string, decimal>(cp.Options, StringComparer.Ordinal);
        foreach (var (k, v) in totals)
        {
            options[k] = v;
        }
        w.Put((w.Plan(cp.Id) ?? cp) with { Options = options });
        if (deltas.Count > 0)
        {
            w.Append(Grants.GrantEvent(w, ids, now, plan.Id, cp.EntityId, deltas));
        }
        changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "updated", cp.PlanVersion)));
    }

    /// <summary>
    /// Moves the attachment to another version of its plan (or to its own customized items) on the same billing
    /// cycle. Usage of the carried features (all consumable ones, or <paramref name="carryFeatures"/> when given; none
    /// when <paramref name="carry"/> is false) is charged to the new balances, as Autumn's update does by default.
    /// </summary>
    public static CustomerPlan ChangeVersion(Working w, Catalog catalog, CustomerPlan cp, Plan target, IReadOnlyDictionary<string, decimal> totals,
        bool carry, IReadOnlySet<string>? carryFeatures, DateTimeOffset now, IIdGenerator ids, List<(string? Entity, PlanChange Change)> changes,
        PlanCustomization? custom = null)
    {
        var used = carry ? PlanCarryOver.Usage(w, catalog, cp, new CarryOverScope(carryFeatures)) : [];
        Grants.Detach(w, cp);
        var options = new Dictionary<string, decimal>(cp.Options, StringComparer.Ordinal);
        foreach (var (k, v) in totals)
        {
            options[k] = v;
        }
        var moved = cp with
        {
            Id = ids.NewId("cus_prod_"),
            PlanVersion = target.Version,
            Recurring = target.IsRecurring,
            Options = options,
            Custom = custom,
        };
        Grants.Grant(w, catalog, target, moved, options, now, ids);
        PlanCarryOver.ApplyUsage(w, moved, target.Id, used, now, ids);
        changes.Add((cp.EntityId, new PlanChange(cp.PlanId, "updated", target.Version)));
        return moved;
    }
}
