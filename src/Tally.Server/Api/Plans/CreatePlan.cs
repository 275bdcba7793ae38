using Tally.Contracts;
using Tally.Core.Domain;
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
        if (Customers.ControlRules.Validate(t, r.BillingControls) is { } controlsError)
        {
            return controlsError;
        }
        return await CatalogUnit.RunAsync(call, new Command(r, price, call.Clock.Now), Decide, call.Idempotency()).ConfigureAwait(false);
    }

    /// <summary>The body, its parsed base price, and the creation time.</summary>
    public readonly record struct Command(CreatePlanParams Request, Core.Domain.PlanPrice? Price, DateTimeOffset Now);

    /// <summary>The decision: the plan is added unless its id is taken or an item breaks a rule of the catalog.</summary>
    public static CatalogDecision<Reply> Decide(Catalog catalog, Command cmd, TenantId t)
    {
        var (r, price) = (cmd.Request, cmd.Price);
        if (catalog.Plan(r.PlanId) is not null)
        {
            return CatalogUnit.Fail(Reply.Error(400, ErrorCodes.ProductAlreadyExists, $"Plan {r.PlanId} already exists", t));
        }
        if (PlanRules.UnsupportedPlanField(r.Licenses) is { } unsupported)
        {
            return CatalogUnit.Fail(Errors.Invalid(t, $"{unsupported}: not supported by Tally"));
        }
        var (items, itemsError) = PlanRules.Items(t, r.Items, catalog);
        if (itemsError is not null)
        {
            return CatalogUnit.Fail(itemsError);
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
            CreatedAt = cmd.Now,
            BillingControlsJson = Customers.ControlRules.Merge("{}", r.BillingControls),
        };
        var changes = new CatalogChanges();
        changes.UpsertPlans.Add(plan);
        return CatalogUnit.Commit(changes, Reply.Ok(plan.ToWire(t), TallyJsonContext.Default.Plan));
    }
}
