using Tally.Contracts;
using YamlDotNet.Core;

namespace Tally.Cli.Catalog;

/// <summary>A catalog file read into the API's own create bodies, each with where it stands in the file.</summary>
internal sealed class CatalogSpec
{
    public List<Located<CreateFeatureParams>> Features { get; } = [];

    public List<Located<CreatePlanParams>> Plans { get; } = [];
}

/// <summary>A value and the file position it was read from (for errors that point at the line).</summary>
internal sealed record Located<T>(T Value, Mark Start);
