using System.Text.Json;
using Tally.Core.Domain;
using W = Tally.Contracts;

namespace Tally.Server.Mapping;

/// <summary>Core plans in their wire shape.</summary>
public static class PlanWire
{
    public static W.PriceTier Tier(PriceTier t) => new()
    {
        To = t.To is { } to ? JsonSerializer.SerializeToElement(to, W.TallyJsonContext.Default.Decimal) : JsonSerializer.SerializeToElement("inf", W.TallyJsonContext.Default.String),
        Amount = t.Amount,
        FlatAmount = t.FlatAmount,
    };

    public static W.Plan ToWire(this Plan p, TenantId tenant) => new()
    {
        Id = p.Id,
        Name = p.Name,
        Description = p.Description,
        Group = p.Group,
        Version = p.Version,
        AddOn = p.AddOn,
        AutoEnable = p.AutoEnable,
        Price = p.Price is { } price ? new W.PlanPrice { Amount = price.Amount, Interval = price.Interval.ToWire(), IntervalCount = price.IntervalCount } : null,
        Items = p.Items.Select(Item).ToList(),
        FreeTrial = p.FreeTrialJson is { } ft ? JsonSerializer.Deserialize(ft, W.TallyJsonContext.Default.FreeTrial) : null,
        CreatedAt = BalanceWire.Ms(p.CreatedAt),
        Env = tenant.EnvName,
        Archived = p.Archived,
        Config = Json.Object(p.ConfigJson),
        Metadata = Json.Object(p.MetadataJson),
        BillingControls = Json.Object(p.BillingControlsJson),
        BaseVariantId = null,
    };

    public static W.PlanItemResponse Item(PlanItem i) => new()
    {
        FeatureId = i.FeatureId,
        Included = i.Included,
        Unlimited = i.Unlimited,
        Pooled = false,
        Reset = i.Reset is { } r ? new W.PlanItemReset { Interval = r.Interval.ToWire(), IntervalCount = r.IntervalCount } : null,
        Price = i.Price is { } p ? new W.PlanItemPrice
        {
            Amount = p.Amount,
            Tiers = p.Tiers?.Select(Tier).ToList(),
            TierBehavior = p.TierBehavior is { } tb ? (tb == TierBehavior.Graduated ? "graduated" : "volume") : null,
            Interval = (p.Interval ?? i.Reset?.Interval ?? ResetInterval.Month).ToWire(),
            IntervalCount = p.IntervalCount,
            BillingUnits = p.BillingUnits,
            BillingMethod = p.BillingMethod == BillingMethod.Prepaid ? "prepaid" : "usage_based",
            MaxPurchase = p.MaxPurchase,
        } : null,
        Rollover = i.Rollover is { } ro ? new W.PlanItemRollover
        {
            Max = ro.Max,
            MaxPercentage = ro.MaxPercentage,
            ExpiryDurationType = ro.ExpiryType == RolloverExpiry.Forever ? "forever" : "month",
            ExpiryDurationLength = ro.ExpiryLength,
        } : null,
        EntityFeatureId = i.EntityFeatureId,
    };
}
