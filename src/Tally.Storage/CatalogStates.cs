using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage;

public static class CatalogStates
{
    /// <summary>
    /// The catalog the changes produce (renames, then feature deletes and upserts, then plan deletes and upserts):
    /// both stores cache it after the commit, so it must equal what a reload would read.
    /// </summary>
    public static Catalog Apply(Catalog catalog, CatalogChanges changes)
    {
        var features = catalog.Features.ToDictionary(f => f.Id, StringComparer.Ordinal);
        foreach (var (oldId, newId) in changes.RenameFeatures)
        {
            if (features.Remove(oldId, out var f))
            {
                features[newId] = f with { Id = newId };
            }
        }
        foreach (var id in changes.DeleteFeatures)
        {
            features.Remove(id);
        }
        foreach (var f in changes.UpsertFeatures)
        {
            features[f.Id] = f;
        }
        var plans = catalog.AllPlanVersions.ToDictionary(p => (p.Id, p.Version));
        foreach (var (id, version) in changes.DeletePlans)
        {
            foreach (var key in plans.Keys.Where(k => k.Id == id && (version is null || k.Version == version)).ToList())
            {
                plans.Remove(key);
            }
        }
        foreach (var p in changes.UpsertPlans)
        {
            plans[(p.Id, p.Version)] = p;
        }
        return new Catalog(features.Values, plans.Values);
    }
}
