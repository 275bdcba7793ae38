using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>Which features a carry-over covers: all consumable ones, or only <see cref="Features"/> when given.</summary>
public sealed record CarryOverScope(IReadOnlySet<string>? Features = null)
{
    public bool Covers(string featureId) => Features is null || Features.Contains(featureId);
}

/// <summary>
/// What moves from a plan that is being replaced to the plan that replaces it (Autumn's <c>carry_over_usages</c>
/// and <c>carry_over_balances</c>). Only consumable features carry: a boolean has no balance and a continuous
/// feature (seats) is recounted by the new grant.
/// </summary>
public static class PlanCarryOver
{
    /// <summary>Usage of the attachment's carried features, per feature and entity ("" for the customer level).</summary>
    public static Dictionary<(string Feature, string Entity), decimal> Usage(Working w, Catalog catalog, CustomerPlan cp, CarryOverScope scope)
    {
        var used = new Dictionary<(string Feature, string Entity), decimal>();
        foreach (var s in Carried(w, catalog, cp, scope))
        {
            var u = s.IncludedGrant + s.PrepaidGrant - s.Balance;
            if (u > 0)
            {
                var key = (s.FeatureId, s.EntityId ?? "");
                used[key] = used.GetValueOrDefault(key) + u;
            }
        }
        return used;
    }

    /// <summary>
    /// Charges carried usage to the new attachment's balances, oldest source first. A balance that allows overage
    /// takes all of it; one that does not takes what it has left (usage beyond the new plan's allowance is not a debt).
    /// </summary>
    public static void ApplyUsage(Working w, CustomerPlan moved, string eventName, Dictionary<(string Feature, string Entity), decimal> used,
        DateTimeOffset now, IIdGenerator ids)
    {
        var deltas = new List<SourceDelta>();
        foreach (var s in w.AllSources().Where(s => s.CustomerPlanId == moved.Id && !s.Unlimited).OrderBy(s => s.Seq).ToList())
        {
            var key = (s.FeatureId, s.EntityId ?? "");
            if (used.GetValueOrDefault(key) is var u && u <= 0)
            {
                continue;
            }
            var take = s.UsageAllowed ? u : Math.Min(u, Math.Max(0, s.Balance));
            used[key] = u - take;
            if (take > 0)
            {
                w.Put(s with { Balance = s.Balance - take });
                deltas.Add(Waterfall.Delta(s, take, null));
            }
        }
        if (deltas.Count > 0)
        {
            w.Append(Grants.GrantEvent(w, ids, now, eventName, moved.EntityId, deltas));
        }
    }

    /// <summary>
    /// The remaining balances of the replaced attachment's carried features, each kept as a standalone grant that
    /// ends when the old balance would have reset (or with the old plan's billing cycle; never when neither applies).
    /// Only what is left over carries: an overdrawn balance carries nothing.
    /// </summary>
    public static IReadOnlyList<BalanceSource> Balances(Working w, Catalog catalog, CustomerPlan cp, CarryOverScope scope,
        DateTimeOffset now, IIdGenerator ids) =>
        Carried(w, catalog, cp, scope)
            .Where(s => s.Balance > 0)
            .Select(s => new BalanceSource
            {
                Id = ids.NewId("cus_ent_"),
                FeatureId = s.FeatureId,
                EntityId = s.EntityId,
                IncludedGrant = s.Balance,
                Balance = s.Balance,
                ExpiresAt = s.NextResetAt ?? cp.CurrentPeriodEnd,
                CreatedAt = now,
            })
            .ToList();

    /// <summary>Adds carried balances (built before the old plan was detached) as standalone grants in one ledger event.</summary>
    public static void GrantBalances(Working w, IReadOnlyList<BalanceSource> carried, string eventName, string? entityId,
        DateTimeOffset now, IIdGenerator ids)
    {
        if (carried.Count == 0)
        {
            return;
        }
        var deltas = carried.Select(s => Grants.Create(w, s with { Seq = w.TakeSeq() })).ToList();
        w.Append(Grants.GrantEvent(w, ids, now, eventName, entityId, deltas));
    }

    private static IEnumerable<BalanceSource> Carried(Working w, Catalog catalog, CustomerPlan cp, CarryOverScope scope) =>
        w.AllSources()
            .Where(s => s.CustomerPlanId == cp.Id && !s.Unlimited && scope.Covers(s.FeatureId)
                && catalog.Feature(s.FeatureId) is { Type: not FeatureType.Boolean, IsContinuous: false })
            .OrderBy(s => s.Seq);
}
