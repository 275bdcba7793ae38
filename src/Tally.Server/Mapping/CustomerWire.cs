using Tally.Core.Domain;
using Tally.Core.Engine;
using W = Tally.Contracts;

namespace Tally.Server.Mapping;

/// <summary>Customer and entity objects, with the balances and flags their subject sees.</summary>
public static class CustomerWire
{
    public static W.Customer ToWire(Working w, Catalog catalog, TenantId tenant, DateTimeOffset now, bool expandEntities)
    {
        var c = w.Customer;
        var plans = w.Plans().Where(p => p.EntityId is null).OrderBy(p => p.StartedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
        return new W.Customer
        {
            Id = c.Id,
            Name = c.Name,
            Email = c.Email,
            CreatedAt = BalanceWire.Ms(c.CreatedAt),
            Fingerprint = c.Fingerprint,
            StripeId = c.StripeId,
            Env = tenant.EnvName,
            Metadata = Json.Object(c.MetadataJson),
            SendEmailReceipts = c.SendEmailReceipts,
            BillingControls = Json.Object(c.BillingControlsJson),
            Subscriptions = plans.Where(p => p.Recurring).Select(p => Subscription(p, catalog, tenant, now, "customer")).ToList(),
            Purchases = plans.Where(p => !p.Recurring).Select(p => Purchase(p, catalog, tenant, "customer")).ToList(),
            Balances = Balances(w, catalog, null, now),
            Flags = Flags(w, catalog, null, now),
            Entities = expandEntities
                ? w.Entities().OrderBy(e => e.Seq).Select(e => new W.CustomerEntity
                {
                    Id = e.Id,
                    Name = e.Name,
                    CustomerId = c.Id,
                    FeatureId = e.FeatureId,
                    CreatedAt = BalanceWire.Ms(e.CreatedAt),
                    Env = tenant.EnvName,
                }).ToList()
                : null,
        };
    }

    public static W.EntityResponse ToWire(Working w, Catalog catalog, TenantId tenant, Entity e, DateTimeOffset now)
    {
        var plans = w.Plans().Where(p => p.EntityId == e.Id).OrderBy(p => p.StartedAt).ToList();
        return new W.EntityResponse
        {
            Id = e.Id,
            Name = e.Name,
            CustomerId = w.Customer.Id,
            FeatureId = e.FeatureId,
            CreatedAt = BalanceWire.Ms(e.CreatedAt),
            Env = tenant.EnvName,
            Subscriptions = plans.Where(p => p.Recurring).Select(p => Subscription(p, catalog, tenant, now, "entity")).ToList(),
            Purchases = plans.Where(p => !p.Recurring).Select(p => Purchase(p, catalog, tenant, "entity")).ToList(),
            Balances = Balances(w, catalog, e.Id, now),
            Flags = Flags(w, catalog, e.Id, now),
            BillingControls = Json.Object(e.BillingControlsJson),
        };
    }

    private static Dictionary<string, W.Balance> Balances(Working w, Catalog catalog, string? entityId, DateTimeOffset now) =>
        BalanceView.All(w, catalog, entityId, now).ToDictionary(b => b.FeatureId, b => b.ToWire()!, StringComparer.Ordinal);

    private static Dictionary<string, W.Flag> Flags(Working w, Catalog catalog, string? entityId, DateTimeOffset now) =>
        BalanceView.Flags(w, catalog, entityId, now).ToDictionary(s => s.FeatureId, BalanceWire.ToFlag, StringComparer.Ordinal);

    /// <summary>A customized attachment carries the plan it is served from, so its own items and price are visible.</summary>
    private static W.Plan? CustomPlan(CustomerPlan p, Catalog catalog, TenantId tenant) =>
        p.Custom is not null && catalog.PlanOf(p) is { } plan ? plan.ToWire(tenant) : null;

    private static W.Subscription Subscription(CustomerPlan p, Catalog catalog, TenantId tenant, DateTimeOffset now, string scope)
    {
        // The period follows the plan's billing cycle from where it started; a trial is its own first period.
        var period = p.Status == AttachmentStatus.Active ? PlanLifecycle.CurrentPeriod(p, catalog.PlanOf(p), now) : null;
        var trialing = p.TrialEndsAt is { } te && te > now && p.Status == AttachmentStatus.Active;
        return new()
        {
            Id = p.Id,
            Plan = CustomPlan(p, catalog, tenant),
            PlanId = p.PlanId,
            AutoEnable = p.AutoEnable,
            AddOn = p.AddOn,
            Status = p.Status == AttachmentStatus.Scheduled ? "scheduled" : "active",
            PastDue = false,
            CanceledAt = BalanceWire.Ms(p.CanceledAt),
            ExpiresAt = BalanceWire.Ms(p.EndsAt),
            TrialEndsAt = BalanceWire.Ms(p.TrialEndsAt),
            StartedAt = BalanceWire.Ms(p.StartedAt),
            CurrentPeriodStart = trialing ? BalanceWire.Ms(p.StartedAt) : period is { } a ? BalanceWire.Ms(a.Start) : BalanceWire.Ms(p.CurrentPeriodStart),
            CurrentPeriodEnd = trialing ? BalanceWire.Ms(p.TrialEndsAt) : period is { } b ? BalanceWire.Ms(b.End) : BalanceWire.Ms(p.CurrentPeriodEnd),
            Quantity = p.Quantity,
            Scope = scope,
        };
    }

    private static W.Purchase Purchase(CustomerPlan p, Catalog catalog, TenantId tenant, string scope) => new()
    {
        Plan = CustomPlan(p, catalog, tenant),
        PlanId = p.PlanId,
        ExpiresAt = BalanceWire.Ms(p.EndsAt),
        StartedAt = BalanceWire.Ms(p.StartedAt),
        Quantity = p.Quantity,
        Scope = scope,
    };
}
