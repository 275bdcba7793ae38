using Tally.Contracts;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Plans;

internal static class CreatePlan
{
    public static async Task<Reply> Handle(Call<CreatePlanParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (!Features.FeatureRules.IdPattern().IsMatch(r.PlanId))
        {
            return Errors.Invalid(t, "plan_id: may only contain letters, digits, '_' and '-'");
        }
        if (string.IsNullOrWhiteSpace(r.Name))
        {
            return Errors.Invalid(t, "name: must be a non-empty string");
        }
        var (price, priceError) = PlanRules.Price(t, r.Price);
        if (priceError is not null)
        {
            return priceError;
        }
        var now = call.Clock.Now;
        var result = await call.Store.MutateCatalogAsync(t, catalog =>
        {
            if (catalog.Plan(r.PlanId) is not null)
            {
                return new CatalogDecision<Reply>(Reply.Error(400, ErrorCodes.ProductAlreadyExists, $"Plan {r.PlanId} already exists", t));
            }
            var (items, itemsError) = PlanRules.Items(t, r.Items, catalog);
            if (itemsError is not null)
            {
                return new CatalogDecision<Reply>(itemsError);
            }
            var plan = new Core.Domain.Plan
            {
                Id = r.PlanId,
                Name = r.Name,
                Description = r.Description,
                Group = PlanRules.Group(r.Group),
                AddOn = r.AddOn ?? false,
                AutoEnable = r.AutoEnable ?? false,
                Price = price,
                Items = items!,
                MetadataJson = PlanRules.Metadata(r.Metadata, "{}"),
                ConfigJson = PlanRules.Metadata(r.Config, "{}"),
                FreeTrialJson = r.FreeTrial is { } ft ? System.Text.Json.JsonSerializer.Serialize(ft, TallyJsonContext.Default.FreeTrial) : null,
                CreatedAt = now,
            };
            var changes = new CatalogChanges();
            changes.UpsertPlans.Add(plan);
            var reply = Reply.Ok(plan.ToWire(t), TallyJsonContext.Default.Plan);
            return new CatalogDecision<Reply>(reply, changes, reply.Body);
        }, call.Idempotency(), call.Ct).ConfigureAwait(false);
        return call.Finish(result);
    }
}
