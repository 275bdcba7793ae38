using System.Text.Json.Nodes;
using Tally.CatalogFile;

namespace Tally.Cli.Catalog;

/// <summary>Human-readable differences between two normal forms (<see cref="Canon"/>), one line per changed field.</summary>
internal static class JsonDiff
{
    public static List<string> Lines(JsonObject server, JsonObject file)
    {
        var lines = new List<string>();
        Walk("", server, file, lines);
        return lines;
    }

    private static void Walk(string path, JsonNode? before, JsonNode? after, List<string> lines)
    {
        if (Canon.Same(before, after))
        {
            return;
        }
        if (before is JsonObject a && after is JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
            {
                var sub = path.Length == 0 ? key : $"{path}.{key}";
                if (key == "items" && a[key] is JsonArray ai && b[key] is JsonArray bi)
                {
                    Items(ai, bi, lines);
                }
                else
                {
                    Walk(sub, a[key], b[key], lines);
                }
            }
            return;
        }
        lines.Add($"{path}: {Show(before)} → {Show(after)}");
    }

    /// <summary>Plan items are matched by feature and reset interval (unique per plan), not by position.</summary>
    private static void Items(JsonArray before, JsonArray after, List<string> lines)
    {
        static string Key(JsonNode? item) => $"{(string?)item?["feature_id"]}{((string?)item?["reset"]?["interval"] is { } iv ? $" ({iv})" : "")}";
        var a = before.ToDictionary(Key);
        var b = after.ToDictionary(Key);
        foreach (var key in a.Keys.Union(b.Keys))
        {
            var path = $"items[{key}]";
            if (!a.TryGetValue(key, out var old))
            {
                lines.Add($"{path}: added");
            }
            else if (!b.TryGetValue(key, out var @new))
            {
                lines.Add($"{path}: removed");
            }
            else
            {
                Walk(path, old, @new, lines);
            }
        }
    }

    private static string Show(JsonNode? node) => node is null ? "(none)" : node.ToJsonString();
}
