using Tally.Core.Domain;

namespace Tally.Core.Engine;

public enum AttachStatus
{
    Attached,
    AlreadyAttached,
}

public sealed record AttachOutcome(AttachStatus Status, CustomerPlan? Attachment, IReadOnlyList<CustomerPlan> Replaced);

/// <summary>
/// When an attachment starts and how it may end by itself: a future <paramref name="StartsAt"/> schedules it; a trial
/// sets <c>trial_ends_at</c>, and a trial that needs no card ends the plan with it (no payment method can follow).
/// </summary>
public sealed record AttachTerms(DateTimeOffset? StartsAt = null, DateTimeOffset? TrialEndsAt = null, bool EndsWithTrial = false)
{
    /// <summary>This customer's own items and base price; the plan handed to attach already has them.</summary>
    public PlanCustomization? Custom { get; init; }

    /// <summary>Carry the replaced plan's usage into the new plan's balances (null: carry nothing).</summary>
    public CarryOverScope? CarryUsages { get; init; }

    /// <summary>Keep the replaced plan's remaining balances as standalone grants (null: keep nothing).</summary>
    public CarryOverScope? CarryBalances { get; init; }

    /// <summary>When the plan ends by itself (attach <c>ends_at</c>), whatever the trial does.</summary>
    public DateTimeOffset? EndsAt { get; init; }

    /// <summary>The earlier of the requested end and a trial that ends the plan.</summary>
    public DateTimeOffset? PlanEndsAt => (EndsWithTrial ? TrialEndsAt : null) is { } trialEnd && (EndsAt is null || trialEnd < EndsAt) ? trialEnd : EndsAt;

    public static readonly AttachTerms Now = new();
}

/// <summary>
/// How balance sources come into being: attaching a plan (one source per item), standalone grants, and the
/// per-entity sub-balances of items with an entity feature. Each new source is recorded in the ledger as a
/// Grant whose delta is the negated starting balance, so every balance is −Σ deltas of its source.
/// </summary>
public static class Grants
{
    public static AttachOutcome Attach(Working w, Catalog catalog, Plan plan, string? entityId,
        IReadOnlyDictionary<string, decimal> prepaidQuantities, DateTimeOffset now, IIdGenerator ids) =>
        Attach(w, catalog, plan, entityId, prepaidQuantities, now, ids, AttachTerms.Now);

    // prepaidQuantities: per prepaid feature, the total quantity including the item's included amount (Autumn's feature_quantities).
    public static AttachOutcome Attach(Working w, Catalog catalog, Plan plan, string? entityId,
        IReadOnlyDictionary<string, decimal> prepaidQuantities, DateTimeOffset now, IIdGenerator ids, AttachTerms terms)
    {
        var current = w.Plans().Where(p => p.EntityId == entityId).ToList();
        if (current.Any(p => p.PlanId == plan.Id))
        {
            return new AttachOutcome(AttachStatus.AlreadyAttached, null, []);
        }
        if (terms.StartsAt is { } startsAt && startsAt > now)
        {
            // A scheduled plan holds no balances until it starts (Lifecycle activates it, replacing its group's plan then).
            var scheduled = NewAttachment(plan, entityId, prepaidQuantities, startsAt, ids) with
            {
                Status = AttachmentStatus.Scheduled,
                Custom = terms.Custom,
                TrialEndsAt = terms.TrialEndsAt,
                EndsAt = terms.PlanEndsAt,
            };
            w.Put(scheduled);
            return new AttachOutcome(AttachStatus.Attached, scheduled, []);
        }
        var replaced = plan.AddOn
            ? []
            : current.Where(p => !p.AddOn && string.Equals(p.Group ?? "", plan.Group ?? "", StringComparison.Ordinal)).ToList();
        var used = new Dictionary<(string Feature, string Entity), decimal>();
        var kept = new List<BalanceSource>();
        foreach (var old in replaced)
        {
            if (terms.CarryUsages is { } usages)
            {
                foreach (var (k, u) in PlanCarryOver.Usage(w, catalog, old, usages))
                {
                    used[k] = used.GetValueOrDefault(k) + u;
                }
            }
            if (terms.CarryBalances is { } balances)
            {
                kept.AddRange(PlanCarryOver.Balances(w, catalog, old, balances, now, ids));
            }
            Detach(w, old);
        }
        var attachment = NewAttachment(plan, entityId, prepaidQuantities, now, ids) with
        {
            TrialEndsAt = terms.TrialEndsAt,
            EndsAt = terms.PlanEndsAt,
            Custom = terms.Custom,
        };
        Grant(w, catalog, plan, attachment, prepaidQuantities, now, ids);
        PlanCarryOver.ApplyUsage(w, attachment, plan.Id, used, now, ids);
        PlanCarryOver.GrantBalances(w, kept, plan.Id, entityId, now, ids);
        return new AttachOutcome(AttachStatus.Attached, attachment, replaced);
    }

    /// <summary>Prepaid units bought on top of the included amount: Autumn's quantity is the total, rounded up to whole packs.</summary>
    public static decimal PrepaidGrant(PlanItem item, decimal totalQuantity)
    {
        var beyond = Math.Max(0m, totalQuantity - (item.Unlimited ? 0m : item.Included));
        var units = item.Price is { BillingUnits: > 0 } p ? p.BillingUnits : 1m;
        return Math.Ceiling(beyond / units) * units;
    }

    private static CustomerPlan NewAttachment(Plan plan, string? entityId, IReadOnlyDictionary<string, decimal> prepaidQuantities,
        DateTimeOffset start, IIdGenerator ids) => new()
        {
            Id = ids.NewId("cus_prod_"),
            PlanId = plan.Id,
            PlanVersion = plan.Version,
            EntityId = entityId,
            Group = plan.Group,
            AddOn = plan.AddOn,
            AutoEnable = plan.AutoEnable,
            Recurring = plan.IsRecurring,
            StartedAt = start,
            CurrentPeriodStart = plan.Price is { } price && price.Interval != ResetInterval.OneOff ? start : null,
            CurrentPeriodEnd = plan.Price is { } p2 && p2.Interval != ResetInterval.OneOff ? Calendar.Add(start, p2.Interval, p2.IntervalCount, 1) : null,
            Options = new Dictionary<string, decimal>(prepaidQuantities, StringComparer.Ordinal),
        };

    /// <summary>Puts the attachment (active) and creates the balance sources of its plan's items.</summary>
    public static void Grant(Working w, Catalog catalog, Plan plan, CustomerPlan attachment,
        IReadOnlyDictionary<string, decimal> prepaidQuantities, DateTimeOffset now, IIdGenerator ids)
    {
        var entityId = attachment.EntityId;
        w.Put(attachment);

        var deltas = new List<SourceDelta>();
        foreach (var item in plan.Items)
        {
            var feature = catalog.Feature(item.FeatureId);
            if (feature is null)
            {
                continue;
            }
            var prepaid = item.Price?.BillingMethod == BillingMethod.Prepaid && prepaidQuantities.TryGetValue(item.FeatureId, out var q)
                ? PrepaidGrant(item, q)
                : 0m;
            if (item.EntityFeatureId is { } typeFeature && entityId is null)
            {
                foreach (var e in w.Entities().Where(e => e.FeatureId == typeFeature).OrderBy(e => e.Seq))
                {
                    deltas.Add(Create(w, FromItem(w, plan, attachment, item, feature, e.Id, prepaid, now, ids)));
                }
                continue;
            }
            var source = FromItem(w, plan, attachment, item, feature, entityId, prepaid, now, ids);
            deltas.Add(Create(w, source));
        }
        w.Append(GrantEvent(w, ids, now, plan.Id, entityId, deltas));

        // A seat feature granted by this plan counts the entities that already exist.
        if (entityId is null)
        {
            foreach (var item in plan.Items)
            {
                if (catalog.Feature(item.FeatureId) is { IsContinuous: true } f && item.EntityFeatureId is null)
                {
                    var seats = w.Entities().Count(e => e.FeatureId == f.Id);
                    if (seats > 0)
                    {
                        var only = new HashSet<string>(w.SourcesOf(f.Id, null).Where(s => s.CustomerPlanId == attachment.Id).Select(s => s.Id));
                        var cands = Waterfall.Candidates(w, catalog, f.Id, null, now, only);
                        var d = Waterfall.Run(w, catalog, f.Id, cands, seats, OverageBehavior.Cap, now);
                        w.Append(new LedgerEvent
                        {
                            Id = ids.NewId("evt_"),
                            Kind = LedgerKind.Seat,
                            CustomerId = w.Customer.Id,
                            EventName = f.Id,
                            Value = seats,
                            Timestamp = now,
                            Deltas = d.Deltas,
                        });
                    }
                }
            }
        }
    }

    /// <summary>Removes an attachment and every source it granted.</summary>
    public static void Detach(Working w, CustomerPlan attachment)
    {
        w.DeletePlan(attachment.Id);
        foreach (var s in w.AllSources().Where(s => s.CustomerPlanId == attachment.Id).ToList())
        {
            w.DeleteSource(s.Id);
        }
    }

    public static BalanceSource FromItem(Working w, Plan plan, CustomerPlan attachment, PlanItem item, Feature feature, string? entityId,
        decimal prepaid, DateTimeOffset now, IIdGenerator ids)
    {
        var resets = item.Reset is { } r && r.Interval != ResetInterval.OneOff && feature.Type != FeatureType.Boolean && !feature.IsContinuous;
        var usageBased = item.Price?.BillingMethod == BillingMethod.UsageBased;
        var included = item.Unlimited ? 0m : item.Included;
        return new BalanceSource
        {
            Id = ids.NewId("cus_ent_"),
            FeatureId = feature.Id,
            EntityId = entityId,
            PlanId = plan.Id,
            CustomerPlanId = attachment.Id,
            IncludedGrant = included,
            PrepaidGrant = prepaid,
            Balance = included + prepaid,
            Unlimited = item.Unlimited,
            UsageAllowed = usageBased,
            MaxPurchase = usageBased ? item.Price!.MaxPurchase : null,
            Interval = resets ? item.Reset!.Interval : item.Reset?.Interval,
            IntervalCount = item.Reset?.IntervalCount ?? 1,
            ResetAnchor = resets ? now : null,
            NextResetAt = resets ? Calendar.Add(now, item.Reset!.Interval, item.Reset.IntervalCount, 1) : null,
            Rollover = resets ? item.Rollover : null,
            AddOn = plan.AddOn,
            Price = item.Price,
            CreatedAt = now,
            Seq = w.TakeSeq(),
        };
    }

    /// <summary>Adds a source to the working state and returns its grant delta (the negated starting balance).</summary>
    public static SourceDelta Create(Working w, BalanceSource source)
    {
        w.Put(source);
        return Waterfall.Delta(source, -source.Balance, null);
    }

    public static LedgerEvent GrantEvent(Working w, IIdGenerator ids, DateTimeOffset now, string name, string? entityId,
        IReadOnlyList<SourceDelta> deltas) => new()
        {
            Id = ids.NewId("evt_"),
            Kind = LedgerKind.Grant,
            CustomerId = w.Customer.Id,
            EntityId = entityId,
            EventName = name,
            Value = 0,
            Timestamp = now,
            Deltas = deltas,
        };
}
