namespace Tally.Core.Domain;

/// <summary>An immutable snapshot of one tenant's features and plans, with the lookups the engine needs.</summary>
public sealed class Catalog
{
    private readonly Dictionary<string, Feature> _features;
    private readonly Dictionary<string, List<Plan>> _plans;
    private readonly Dictionary<string, List<Feature>> _creditSystemsByFeature = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Feature>> _featuresByEvent = new(StringComparer.Ordinal);

    // Parsed once per snapshot so a track pays a dictionary lookup, not a JSON parse, for a plan's default controls.
    private readonly Dictionary<(string PlanId, int Version), BillingControls> _planControls = [];

    public static readonly Catalog Empty = new([], []);

    public Catalog(IEnumerable<Feature> features, IEnumerable<Plan> plans)
    {
        _features = features.ToDictionary(f => f.Id, StringComparer.Ordinal);
        _plans = plans.GroupBy(p => p.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(p => p.Version).ToList(), StringComparer.Ordinal);
        foreach (var f in _features.Values.OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal))
        {
            if (f.Type == FeatureType.CreditSystem)
            {
                foreach (var entry in f.CreditSchema)
                {
                    Add(_creditSystemsByFeature, entry.MeteredFeatureId, f);
                }
            }
            foreach (var name in f.EventNames)
            {
                Add(_featuresByEvent, name, f);
            }
        }
        foreach (var p in _plans.Values.SelectMany(v => v))
        {
            if (BillingControls.FromStored(p.BillingControlsJson) is { } controls)
            {
                _planControls[(p.Id, p.Version)] = controls;
            }
        }
    }

    /// <summary>True when some plan version carries default billing controls (else the engine skips looking for them).</summary>
    public bool AnyPlanControls => _planControls.Count > 0;

    /// <summary>The default billing controls of a plan version, or null when it has none.</summary>
    public BillingControls? PlanControls(string planId, int version) => _planControls.GetValueOrDefault((planId, version));

    public IReadOnlyCollection<Feature> Features => _features.Values;

    public IEnumerable<Plan> LatestPlans => _plans.Values.Select(v => v[^1]);

    public IEnumerable<Plan> AllPlanVersions => _plans.Values.SelectMany(v => v);

    public Feature? Feature(string id) => _features.GetValueOrDefault(id);

    public Plan? Plan(string id, int? version = null)
    {
        if (!_plans.TryGetValue(id, out var versions))
        {
            return null;
        }
        return version is { } v ? versions.FirstOrDefault(p => p.Version == v) : versions[^1];
    }

    /// <summary>Credit systems whose schema lists the feature, in creation order.</summary>
    public IReadOnlyList<Feature> CreditSystemsContaining(string featureId) =>
        _creditSystemsByFeature.TryGetValue(featureId, out var list) ? list : [];

    public IReadOnlyList<Feature> FeaturesForEvent(string eventName) =>
        _featuresByEvent.TryGetValue(eventName, out var list) ? list : [];

    public bool IsFeatureUsedByPlan(string featureId) =>
        _plans.Values.SelectMany(v => v).Any(p => p.Items.Any(i => i.FeatureId == featureId || i.EntityFeatureId == featureId));

    private static void Add(Dictionary<string, List<Feature>> index, string key, Feature f)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }
        list.Add(f);
    }
}
