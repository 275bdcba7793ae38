using Tally.Cli.Catalog;
using Tally.Client;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>Reading the two sides push and pull compare: the file and the server.</summary>
internal static class CatalogSource
{
    public static async Task<CatalogSpec> ReadFileAsync(CliIo io, string file)
    {
        var path = io.PathOf(file);
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UsageException($"{file}: no such file (tally init writes an example)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{file}: {e.Message}");
        }
        return YamlCatalogReader.Read(text, file);
    }

    /// <summary>Every feature and every plan's latest version, archived ones included (push unarchives those in the file).</summary>
    public static async Task<(List<Feature> Features, List<Plan> Plans)> ReadServerAsync(TallyClient client, CancellationToken ct)
    {
        var features = await client.Features.ListAsync(ct).ConfigureAwait(false);
        var plans = await client.Plans.ListAsync(new ListPlansParams { IncludeArchived = true }, ct).ConfigureAwait(false);
        return (features.List, plans.List);
    }
}
