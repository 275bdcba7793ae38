using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

namespace Tally.Server.Api.Plans;

/// <summary>
/// plans.update: changes to a plan version that no customer has are made in place; once customers have it,
/// a change to its price or items makes a new version (existing customers keep theirs).
/// </summary>
internal static class UpdatePlan
{
    public static async Task<Reply> Handle(Call<UpdatePlanParams> call)
    {
        var t = call.Tenant;
        var r = call.Request;
        if (r.NewPlanId is not null && r.NewPlanId != r.PlanId)
        {
            return Errors.BadRequest(t, "new_plan_id: renaming a plan is not supported; create a new plan");
        }
        if (r.Name is { } n && string.IsNullOrWhiteSpace(n))
        {
            return Errors.Invalid(t, "name: must be a non-empty string");
        }
        if (PlanRules.UnsupportedPlanField(r.Licenses, r.Variants, r.UpdateLicenseParents, r.Migration) is { } unsupported)
        {
            return Errors.Invalid(t, $"{unsupported}: not supported by Tally");
        }
        if (RefusedVersioning(r) is { } refused)
        {
            return Errors.Invalid(t, refused);
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
        var catalogNow = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
        if (catalogNow.Plan(r.PlanId) is not { } latest)
        {
            return Errors.PlanNotFound(t, r.PlanId);
        }
        if (r.Version is { } v && v != latest.Version)
        {
            return Errors.Invalid(t, $"version: only the latest version ({latest.Version}) of a plan can be updated");
        }
        var attached = await call.Store.IsPlanAttachedAsync(t, latest.Id, latest.Version, call.Ct).ConfigureAwait(false);
        return await CatalogUnit.RunAsync(call, new Command(r, price, latest.Version, attached, call.Clock.Now), Decide, call.Idempotency())
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The body, its parsed base price, the latest version read before the unit and whether customers have it, and
    /// the time a new version would be created at.
    /// </summary>
    public readonly record struct Command(UpdatePlanParams Request, Core.Domain.PlanPrice? Price, int LatestVersion, bool LatestAttached,
        DateTimeOffset Now);

    /// <summary>
    /// The decision: changes to a version no customer has are made in place; a price or items change to the attached
    /// latest version makes a new version.
    /// </summary>
    public static CatalogDecision<Reply> Decide(Catalog catalog, Command cmd, TenantId t)
    {
        var (r, price) = (cmd.Request, cmd.Price);
        if (catalog.Plan(r.PlanId) is not { } current)
        {
            return CatalogUnit.Fail(Errors.PlanNotFound(t, r.PlanId));
        }
        List<Core.Domain.PlanItem>? items = null;
        if (r.Items is not null)
        {
            var (parsed, error) = PlanRules.Items(t, r.Items, catalog);
            if (error is not null)
            {
                return CatalogUnit.Fail(error);
            }
            items = parsed;
        }
        var updated = current with
        {
            Name = r.Name ?? current.Name,
            Description = r.Description ?? current.Description,
            Group = r.Group is null ? current.Group : PlanRules.Group(r.Group),
            AddOn = r.AddOn ?? current.AddOn,
            AutoEnable = r.AutoEnable ?? current.AutoEnable,
            Price = r.Price is not null ? price : r.PriceSpecified ? null : current.Price,
            Items = items ?? current.Items,
            Archived = r.Archived ?? current.Archived,
            MetadataJson = PlanRules.Metadata(r.Metadata, current.MetadataJson),
            ConfigJson = PlanRules.Metadata(r.Config, current.ConfigJson),
            // Present (even as null, which removes the trial) replaces the trial; absent keeps it.
            FreeTrialJson = !r.FreeTrialSpecified ? current.FreeTrialJson
                : r.FreeTrial is { } ft ? System.Text.Json.JsonSerializer.Serialize(ft, TallyJsonContext.Default.FreeTrial) : null,
            // Merged per key like a customer's; a detail of the version (as in Autumn), so it never makes a new one.
            BillingControlsJson = Customers.ControlRules.Merge(current.BillingControlsJson, r.BillingControls),
        };
        var billingChanged = updated.Price != current.Price || !updated.Items.SequenceEqual(current.Items);
        // force_version (Autumn's "version even when no customers exist") makes a new version whatever changed.
        var newVersion = (r.ForceVersion == true || (billingChanged && cmd.LatestAttached)) && current.Version == cmd.LatestVersion;
        if (newVersion)
        {
            updated = updated with { Version = current.Version + 1, CreatedAt = cmd.Now };
        }
        var changes = new CatalogChanges();
        changes.UpsertPlans.Add(updated);
        return CatalogUnit.Commit(changes, Reply.Ok(updated.ToWire(t), TallyJsonContext.Default.Plan));
    }

    /// <summary>
    /// Autumn's versioning switches Tally does not carry out are refused by name rather than dropped: editing a version
    /// customers hold in place (their balances were granted from it), every version at once, and plan variants.
    /// Their false/empty values are the behaviour Tally has anyway, so those are accepted.
    /// </summary>
    public static string? RefusedVersioning(UpdatePlanParams r) =>
        r.DisableVersion == true && r.ForceVersion == true ? "disable_version: cannot be combined with force_version"
        : r.DisableVersion == true ? "disable_version: not supported by Tally (a version customers hold is never edited in place)"
        : r.AllVersions == true ? "all_versions: not supported by Tally (an update applies to the latest version)"
        : r.UpdateVariantIds is { Count: > 0 } ? "update_variant_ids: not supported by Tally (plan variants)"
        : r.BasePlanIdSpecified && r.BasePlanId is not null ? "base_plan_id: not supported by Tally (plan variants)"
        : r.IsDefault == true ? "is_default: not supported by Tally; use auto_enable for the plan new customers get"
        : null;
}
