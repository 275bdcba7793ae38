using System.Text.Json.Nodes;
using Tally.Contracts;

namespace Tally.CatalogFile;

/// <summary>
/// The tally.yaml that <c>tally pull</c> writes for a server's catalog: features and the latest version of each plan,
/// archived ones left out, in the normal form with defaults dropped. The dashboard shows the same text.
/// </summary>
internal static class PulledCatalog
{
    /// <summary>The comment block at the top of a pulled file (the same bytes <c>tally pull</c> writes).</summary>
    public const string Header = """
        # Pulled from a Tally server by `tally pull`. Edit it and run `tally push` to apply.
        # Fields whose value is the server's default are left out.


        """;

    public static (List<JsonObject> Features, List<JsonObject> Plans) Forms(IEnumerable<Feature> features, IEnumerable<Plan> plans) =>
        (features.Where(f => !f.Archived).Select(f => Canon.Feature(WireToSpec.Feature(f))).ToList(),
            plans.Where(p => !p.Archived).Select(p => Canon.Plan(WireToSpec.Plan(p))).ToList());

    public static string Yaml(IEnumerable<Feature> features, IEnumerable<Plan> plans)
    {
        var (featureForms, planForms) = Forms(features, plans);
        return YamlCatalogWriter.Write(featureForms, planForms, Header);
    }
}
