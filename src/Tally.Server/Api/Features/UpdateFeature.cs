using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Features;

/// <summary>
/// features.update: name, display, event names, credit schema, consumable and archived. The type of a feature
/// that plans use cannot change, and renaming (new_feature_id) is refused: balances already granted under the
/// old id would silently stop counting.
/// </summary>
internal static class UpdateFeature
{
    public static async Task<Reply> Handle(Call<UpdateFeatureParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.NewFeatureId is not null && r.NewFeatureId != r.FeatureId)
        {
            return Errors.BadRequest(t, "new_feature_id: renaming a feature is not supported; create a new feature and archive this one");
        }
        FeatureType? type = null;
        if (r.Type is not null && (type = FeatureRules.ParseType(r.Type)) is null)
        {
            return Errors.Invalid(t, "type: must be one of boolean, metered, credit_system");
        }
        if (FeatureRules.UnsupportedMarkup(r.ModelMarkups, r.DefaultMarkup, r.ProviderMarkups) is { } markup)
        {
            return Errors.Invalid(t, $"{markup}: not supported by Tally");
        }
        List<CreditSchemaEntry>? schema = null;
        if (r.CreditSchema is not null)
        {
            var (s, error) = FeatureRules.Schema(t, r.CreditSchema);
            if (error is not null)
            {
                return error;
            }
            schema = s;
        }
        return await CatalogUnit.RunAsync(call, new Command(r, type, schema), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body with its type and credit schema already parsed (null where the body leaves them as they are).</summary>
    public readonly record struct Command(UpdateFeatureParams Request, FeatureType? Type, List<CreditSchemaEntry>? Schema);

    /// <summary>The decision: the body's changes to the feature, refused where plans, credit systems or grants rely on it.</summary>
    public static CatalogDecision<Reply> Decide(Catalog catalog, Command cmd, TenantId t)
    {
        var (r, type, schema) = (cmd.Request, cmd.Type, cmd.Schema);
        if (catalog.Feature(r.FeatureId) is not { } current)
        {
            return CatalogUnit.Fail(Errors.FeatureNotFound(t, r.FeatureId));
        }
        var newType = type ?? current.Type;
        if (newType != current.Type && catalog.IsFeatureUsedByPlan(current.Id))
        {
            return CatalogUnit.Fail(Errors.BadRequest(t, $"type: feature {current.Id} is used by a plan; its type cannot change"));
        }
        var updated = current with
        {
            Name = r.Name ?? current.Name,
            Type = newType,
            Consumable = newType == FeatureType.CreditSystem || (newType == FeatureType.Metered && (r.Consumable ?? current.Consumable)),
            EventNames = r.EventNames ?? current.EventNames,
            CreditSchema = newType == FeatureType.CreditSystem ? schema ?? current.CreditSchema : [],
            DisplaySingular = r.Display is null ? current.DisplaySingular : r.Display.Singular,
            DisplayPlural = r.Display is null ? current.DisplayPlural : r.Display.Plural,
            Archived = r.Archived ?? current.Archived,
        };
        // Consumable is part of the type (single-use vs continuous-use): plan items and credit schemas were
        // validated against it, and the balances already granted reset (or not) by it.
        if (updated.Consumable != current.Consumable && newType == current.Type
            && (catalog.IsFeatureUsedByPlan(current.Id) || catalog.CreditSystemsContaining(current.Id).Count > 0))
        {
            return CatalogUnit.Fail(Errors.BadRequest(t,
                $"consumable: feature {current.Id} is used by a plan or a credit system; whether it is consumable cannot change"));
        }
        if (newType != current.Type && catalog.CreditSystemsContaining(current.Id).Count > 0)
        {
            return CatalogUnit.Fail(Errors.BadRequest(t, $"type: feature {current.Id} is part of a credit system's schema; its type cannot change"));
        }
        if (FeatureRules.Check(t, updated, catalog, true) is { } invalid)
        {
            return CatalogUnit.Fail(invalid);
        }
        var changes = new CatalogChanges();
        changes.UpsertFeatures.Add(updated);
        var reply = Reply.Ok(updated.ToWire(), TallyJsonContext.Default.Feature);
        return CatalogUnit.Commit(changes, reply);
    }
}
