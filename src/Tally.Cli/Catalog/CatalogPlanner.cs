using System.Text.Json;
using System.Text.Json.Nodes;
using Tally.CatalogFile;
using Tally.Contracts;

namespace Tally.Cli.Catalog;

/// <summary>
/// Compares a catalog file with the server's catalog (in normal form) and decides, per feature and plan, what push
/// does. Only fields that differ are sent, so an update never touches what the file already agrees with (and a
/// plan's items are only resent when they changed, which is what makes a new version).
/// </summary>
internal static class CatalogPlanner
{
    public static (List<Change> Changes, List<string> Warnings) Plan(CatalogSpec spec, List<Feature> serverFeatures, List<Plan> serverPlans)
    {
        var warnings = new List<string>();
        var changes = new List<Change>();
        var features = serverFeatures.ToDictionary(f => f.Id, StringComparer.Ordinal);
        var plans = serverPlans.ToDictionary(p => p.Id, StringComparer.Ordinal);

        // Metered and boolean features first: credit systems and plans name them.
        foreach (var located in spec.Features.OrderBy(f => f.Value.Type == "credit_system" ? 1 : 0))
        {
            var file = located.Value;
            var wanted = Canon.Feature(file, warnings);
            if (!features.TryGetValue(file.FeatureId, out var current))
            {
                changes.Add(new Change("feature", file.FeatureId, ChangeAction.Create, [])
                {
                    Apply = async (client, ct) =>
                    {
                        var answer = await client.Features.CreateAsync(file, ct).ConfigureAwait(false);
                        return ("created", Node(answer, TallyJsonContext.Default.Feature));
                    },
                });
                continue;
            }
            var have = Canon.Feature(WireToSpec.Feature(current));
            var details = JsonDiff.Lines(have, wanted);
            if (current.Archived)
            {
                details.Add("archived on the server: unarchive");
            }
            if (details.Count == 0)
            {
                changes.Add(new Change("feature", file.FeatureId, ChangeAction.Unchanged, []));
                continue;
            }
            var update = new UpdateFeatureParams { FeatureId = file.FeatureId, Archived = current.Archived ? false : null };
            if (!Canon.Same(have["name"], wanted["name"]))
            {
                update.Name = file.Name;
            }
            if (!Canon.Same(have["type"], wanted["type"]))
            {
                update.Type = file.Type;
            }
            if (!Canon.Same(have["consumable"], wanted["consumable"]))
            {
                update.Consumable = file.Consumable;
            }
            if (!Canon.Same(have["event_names"], wanted["event_names"]))
            {
                update.EventNames = file.EventNames ?? [];
            }
            if (!Canon.Same(have["credit_schema"], wanted["credit_schema"]) && file.CreditSchema is not null)
            {
                update.CreditSchema = file.CreditSchema;
            }
            if (!Canon.Same(have["display"], wanted["display"]))
            {
                // The server keeps a display it is not sent; two empty names are how it is cleared.
                update.Display = file.Display ?? new FeatureDisplay { Singular = "", Plural = "" };
            }
            changes.Add(new Change("feature", file.FeatureId, ChangeAction.Update, details)
            {
                Apply = async (client, ct) =>
                {
                    var answer = await client.Features.UpdateAsync(update, ct).ConfigureAwait(false);
                    return ("updated", Node(answer, TallyJsonContext.Default.Feature));
                },
            });
        }

        foreach (var located in spec.Plans)
        {
            changes.Add(PlanChange(located.Value, plans.GetValueOrDefault(located.Value.PlanId), warnings));
        }

        var inFile = spec.Features.Select(f => f.Value.FeatureId).ToHashSet(StringComparer.Ordinal);
        changes.AddRange(serverFeatures.Where(f => !f.Archived && !inFile.Contains(f.Id))
            .Select(f => new Change("feature", f.Id, ChangeAction.OnlyOnServer, [])));
        var plansInFile = spec.Plans.Select(p => p.Value.PlanId).ToHashSet(StringComparer.Ordinal);
        changes.AddRange(serverPlans.Where(p => !p.Archived && !plansInFile.Contains(p.Id))
            .Select(p => new Change("plan", p.Id, ChangeAction.OnlyOnServer, [])));
        return (changes, warnings);
    }

    private static Change PlanChange(CreatePlanParams file, Plan? current, List<string> warnings)
    {
        var wanted = Canon.Plan(file, warnings);
        if (current is null)
        {
            return new Change("plan", file.PlanId, ChangeAction.Create, [])
            {
                Apply = async (client, ct) =>
                {
                    var answer = await client.Plans.CreateAsync(file, ct).ConfigureAwait(false);
                    return ($"created (version {answer.Version})", Node(answer, TallyJsonContext.Default.Plan));
                },
            };
        }
        var have = Canon.Plan(WireToSpec.Plan(current));
        var details = JsonDiff.Lines(have, wanted);
        if (current.Archived)
        {
            details.Add("archived on the server: unarchive");
        }
        var update = new UpdatePlanParams { PlanId = file.PlanId, Archived = current.Archived ? false : null };
        var pending = current.Archived;
        bool Differs(string field) => !Canon.Same(have[field], wanted[field]);
        if (Differs("name"))
        {
            update.Name = file.Name;
            pending = true;
        }
        if (Differs("description"))
        {
            // Absent keeps the old text on the server; an empty one is how it is cleared.
            update.Description = file.Description ?? "";
            pending = true;
        }
        if (Differs("group"))
        {
            update.Group = file.Group ?? "";
            pending = true;
        }
        if (Differs("add_on"))
        {
            update.AddOn = file.AddOn ?? false;
            pending = true;
        }
        if (Differs("auto_enable"))
        {
            update.AutoEnable = file.AutoEnable ?? false;
            pending = true;
        }
        if (Differs("config"))
        {
            update.Config = file.Config ?? EmptyObject();
            pending = true;
        }
        if (Differs("metadata"))
        {
            update.Metadata = file.Metadata ?? EmptyObject();
            pending = true;
        }
        if (Differs("billing_controls"))
        {
            // plans.update merges the controls per key: a key the file no longer has is removed with an explicit null.
            update.BillingControls = ControlsReplacing(have["billing_controls"] as JsonObject, wanted["billing_controls"] as JsonObject);
            pending = true;
        }
        var billing = false;
        if (Differs("price"))
        {
            // Null removes the base price (the client sends it as an explicit null).
            update.Price = file.Price;
            billing = true;
        }
        if (Differs("items"))
        {
            update.Items = file.Items ?? [];
            billing = true;
        }
        if (Differs("free_trial"))
        {
            // A trial is not billing: the server changes it in place, whoever is on the version.
            // Null removes the trial (the client sends it as an explicit null).
            update.FreeTrial = file.FreeTrial;
            pending = true;
        }
        if (!pending && !billing)
        {
            return new Change("plan", file.PlanId, ChangeAction.Unchanged, details);
        }
        var version = current.Version;
        return new Change("plan", file.PlanId, billing ? ChangeAction.UpdateBilling : ChangeAction.Update, details)
        {
            Apply = async (client, ct) =>
            {
                var answer = await client.Plans.UpdateAsync(update, ct).ConfigureAwait(false);
                var outcome = answer.Version > version
                    ? $"new version {answer.Version} (customers on version {version} keep it)"
                    : $"updated version {answer.Version} in place";
                return (outcome, Node(answer, TallyJsonContext.Default.Plan));
            },
        };
    }

    private static JsonElement ControlsReplacing(JsonObject? server, JsonObject? file)
    {
        var body = new JsonObject();
        foreach (var (key, value) in file ?? [])
        {
            body[key] = value?.DeepClone();
        }
        foreach (var (key, _) in server ?? [])
        {
            if (!body.ContainsKey(key))
            {
                body[key] = null;
            }
        }
        using var document = JsonDocument.Parse(body.ToJsonString());
        return document.RootElement.Clone();
    }

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    private static JsonNode Node<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonSerializer.SerializeToNode(value, info)!;
}
