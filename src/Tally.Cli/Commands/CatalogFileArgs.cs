using System.CommandLine;

namespace Tally.Cli.Commands;

/// <summary>The file argument and <c>--yes</c> shared by init, push and pull.</summary>
internal static class CatalogFileArgs
{
    public const string DefaultFile = "tally.yaml";

    public static Argument<string> File() => new("file")
    {
        Description = "Catalog file",
        DefaultValueFactory = _ => DefaultFile,
    };

    public static Option<bool> Yes(string what) => new("--yes", "-y") { Description = $"Do not ask before {what}" };

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>, asking first when it would replace a file.</summary>
    public static async Task<bool> WriteAsync(CliContext ctx, string path, string text, bool yes)
    {
        if (System.IO.File.Exists(path) && !yes && !await ctx.ConfirmAsync($"{path} exists. Overwrite it?").ConfigureAwait(false))
        {
            await ctx.Io.Err.WriteLineAsync("Not written.").ConfigureAwait(false);
            return false;
        }
        // Written beside and moved over, so an interrupted write never leaves half a catalog.
        var temp = path + ".tmp";
        await System.IO.File.WriteAllTextAsync(temp, text).ConfigureAwait(false);
        System.IO.File.Move(temp, path, overwrite: true);
        return true;
    }
}
