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
        var result = await call.Store.MutateCatalogAsync(t, catalog =>
        {
            if (FeatureRules.Check(t, feature, catalog, r.Consumable is not null || type != FeatureType.Metered) is { } invalid)
            {
                return new CatalogDecision<Reply>(invalid);
            }
            if (catalog.Feature(feature.Id) is not null)
            {
                return new CatalogDecision<Reply>(Errors.Conflict(t, ErrorCodes.DuplicateFeatureId, $"Feature {feature.Id} already exists"));
            }
            var changes = new CatalogChanges();
            changes.UpsertFeatures.Add(feature);
            var reply = Reply.Ok(feature.ToWire(), TallyJsonContext.Default.Feature);
            return new CatalogDecision<Reply>(reply, changes, reply.Body);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
