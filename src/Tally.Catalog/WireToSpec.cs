using System.Text.Json;
using Tally.Contracts;

namespace Tally.CatalogFile;

/// <summary>
/// A server answer (features.list / plans.list item) as the create body that would make it again: the shape the
/// catalog file is written in, so a pulled file pushes back as "no changes".
/// </summary>
internal static class WireToSpec
{
    public static CreateFeatureParams Feature(Feature f) => new()
    {
        FeatureId = f.Id,
        Name = f.Name,
        Type = f.Type,
        Consumable = f.Type == "metered" ? f.Consumable : null,
        EventNames = f.EventNames is { Count: > 0 } names ? names : null,
        CreditSchema = f.CreditSchema is { Count: > 0 } schema ? schema : null,
        Display = f.Display,
    };

    public static CreatePlanParams Plan(Plan p) => new()
    {
        PlanId = p.Id,
        Name = p.Name,
        Description = p.Description,
        Group = p.Group,
        AddOn = p.AddOn,
        AutoEnable = p.AutoEnable,
        Price = p.Price,
        Items = p.Items.Select(Item).ToList(),
        FreeTrial = p.FreeTrial,
        Config = Object(p.Config),
        Metadata = Object(p.Metadata),
        BillingControls = Object(p.BillingControls),
    };

    private static PlanItem Item(PlanItemResponse i) => new()
    {
        FeatureId = i.FeatureId,
        Included = i.Included,
        Unlimited = i.Unlimited,
        Reset = i.Reset,
        Price = i.Price,
        Rollover = i.Rollover,
        EntityFeatureId = i.EntityFeatureId,
    };

    private static JsonElement? Object(Dictionary<string, JsonElement>? values) =>
        values is { Count: > 0 } v ? JsonSerializer.SerializeToElement(v, TallyJsonContext.Default.DictionaryStringJsonElement) : null;
}
