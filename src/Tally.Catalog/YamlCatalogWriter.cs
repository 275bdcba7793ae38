using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Tally.CatalogFile;

/// <summary>
/// Writes a catalog (normal forms from <see cref="Canon"/>) as tally.yaml, leaving out every field whose value is the
/// server's default, so the file holds what someone would have written by hand and reads back to the same normal form.
/// </summary>
internal static class YamlCatalogWriter
{
    /// <summary>Fields dropped when they hold the default <see cref="Canon"/> puts back.</summary>
    private static readonly Dictionary<string, string> Defaults = new(StringComparer.Ordinal)
    {
        ["add_on"] = "false",
        ["auto_enable"] = "false",
        ["unlimited"] = "false",
        ["included"] = "0",
        ["interval_count"] = "1",
        ["billing_units"] = "1",
        ["expiry_duration_length"] = "1",
        ["event_names"] = "[]",
        ["items"] = "[]",
        ["config"] = "{}",
        ["metadata"] = "{}",
        ["billing_controls"] = "{}",
    };

    private static readonly HashSet<string> FreeForm = new(["config", "metadata", "dimensions", "multipliers"], StringComparer.Ordinal);

    public static string Write(IEnumerable<JsonObject> features, IEnumerable<JsonObject> plans, string header)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        text.Write(header);
        var emitter = new Emitter(text, 2, int.MaxValue);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        emitter.Emit(new MappingStart());
        Key(emitter, "features");
        Sequence(emitter, features.Select(f => Minimize(f, feature: true)));
        Key(emitter, "plans");
        Sequence(emitter, plans.Select(p => Minimize(p, feature: false)));
        emitter.Emit(new MappingEnd());
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static JsonObject Minimize(JsonObject canonical, bool feature)
    {
        var copy = (JsonObject)canonical.DeepClone();
        if (feature && (string?)copy["type"] != "metered")
        {
            // Boolean features are never consumable and credit systems always are: the type says it.
            copy.Remove("consumable");
        }
        Strip(copy);
        return copy;
    }

    private static void Strip(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var key in o.Select(p => p.Key).ToList())
            {
                // User JSON (metadata, config) is written as is: every key in it is meant, defaults included.
                if (!FreeForm.Contains(key))
                {
                    Strip(o[key]);
                }
                if (Defaults.TryGetValue(key, out var d) && Canon.Key(o[key]) == d)
                {
                    o.Remove(key);
                }
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var item in a)
            {
                Strip(item);
            }
        }
    }

    private static void Sequence(Emitter emitter, IEnumerable<JsonObject> items)
    {
        emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
        foreach (var item in items)
        {
            Node(emitter, item);
        }
        emitter.Emit(new SequenceEnd());
    }

    private static void Node(Emitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                emitter.Emit(new MappingStart(null, null, true, o.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in o)
                {
                    Key(emitter, key);
                    Node(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray a:
                // Lists of plain values (event names) read best on one line.
                var flow = a.Count == 0 || a.All(x => x is JsonValue);
                emitter.Emit(new SequenceStart(null, null, true, flow ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in a)
                {
                    Node(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var s = v.GetValue<string>();
                emitter.Emit(new Scalar(null, null, s, LooksTyped(s) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, true, true));
                break;
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            default:
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void Key(Emitter emitter, string key) => emitter.Emit(new Scalar(null, null, key, ScalarStyle.Any, true, true));

    /// <summary>A string a plain scalar would read back as a number, a boolean or null; quoted to stay a string.</summary>
    private static bool LooksTyped(string s) =>
        s.Length == 0 || s is "~" or "null" or "Null" or "NULL" || s.Equals("true", StringComparison.OrdinalIgnoreCase)
        || s.Equals("false", StringComparison.OrdinalIgnoreCase)
        || decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
