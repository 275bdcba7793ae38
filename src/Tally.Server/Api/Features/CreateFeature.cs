using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Features;

internal static class CreateFeature
{
    public static async Task<Reply> Handle(Call<CreateFeatureParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (FeatureRules.ParseType(r.Type) is not { } type)
        {
            return Errors.Invalid(t, "type: must be one of boolean, metered, credit_system");
        }
        if (type == FeatureType.CreditSystem && r.Consumable == false)
        {
            return Errors.Invalid(t, "consumable: a credit_system is always consumable");
        }
        if (FeatureRules.UnsupportedMarkup(r.ModelMarkups, r.DefaultMarkup, r.ProviderMarkups) is { } markup)
        {
            return Errors.Invalid(t, $"{markup}: not supported by Tally");
        }
        var (schema, schemaError) = FeatureRules.Schema(t, r.CreditSchema);
        if (schemaError is not null)
        {
            return schemaError;
        }
        var feature = new Core.Domain.Feature
        {
            Id = r.FeatureId,
            Name = r.Name,
            Type = type,
            Consumable = type == FeatureType.CreditSystem || (type == FeatureType.Metered && r.Consumable == true),
            EventNames = r.EventNames ?? [],
            CreditSchema = schema!,
            DisplaySingular = r.Display?.Singular,
            DisplayPlural = r.Display?.Plural,
            CreatedAt = call.Clock.Now,
        };
        return await CatalogUnit.RunAsync(call, new Command(feature, r.Consumable is not null || type != FeatureType.Metered), Decide,
            call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The feature to create, and whether the body said if it is consumable (a metered feature must).</summary>
    public readonly record struct Command(Core.Domain.Feature Feature, bool ConsumableGiven);

    /// <summary>The decision: the feature is added unless it breaks a catalog rule or its id is taken.</summary>
    public static CatalogDecision<Reply> Decide(Catalog catalog, Command cmd, TenantId t)
    {
        var feature = cmd.Feature;
        if (FeatureRules.Check(t, feature, catalog, cmd.ConsumableGiven) is { } invalid)
        {
            return CatalogUnit.Fail(invalid);
        }
        if (catalog.Feature(feature.Id) is not null)
        {
            return CatalogUnit.Fail(Errors.Conflict(t, ErrorCodes.DuplicateFeatureId, $"Feature {feature.Id} already exists"));
        }
        var changes = new CatalogChanges();
        changes.UpsertFeatures.Add(feature);
        return CatalogUnit.Commit(changes, Reply.Ok(feature.ToWire(), TallyJsonContext.Default.Feature));
    }
}
