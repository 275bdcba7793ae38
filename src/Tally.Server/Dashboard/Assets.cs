using System.Collections.Frozen;

namespace Tally.Server.Dashboard;

/// <summary>
/// The dashboard's static files, embedded in the server assembly (so a published server needs no content folder) and
/// served from memory: only the names listed here exist; nothing is read from a path a request names.
/// </summary>
internal static class Assets
{
    private static readonly FrozenDictionary<string, (byte[] Bytes, string Type)> Files = new Dictionary<string, (byte[], string)>
    {
        ["dashboard.css"] = (Load("dashboard.css"), "text/css; charset=utf-8"),
        ["dashboard.js"] = (Load("dashboard.js"), "text/javascript; charset=utf-8"),
        ["uplot.min.js"] = (Load("uplot.min.js"), "text/javascript; charset=utf-8"),
        ["uplot.min.css"] = (Load("uplot.min.css"), "text/css; charset=utf-8"),
        ["uplot.LICENSE.txt"] = (Load("uplot.LICENSE.txt"), "text/plain; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IResult Serve(HttpContext http, string name)
    {
        if (!Files.TryGetValue(name, out var file))
        {
            return Results.NotFound();
        }
        http.Response.Headers.CacheControl = "public, max-age=3600";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(file.Bytes, file.Type);
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(Assets).Assembly.GetManifestResourceStream("Tally.Server.Dashboard.Assets." + name)
            ?? throw new InvalidOperationException($"dashboard asset {name} is not embedded");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}
