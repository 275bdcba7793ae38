using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Tally.Contracts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tally.Cli.Catalog;

/// <summary>
/// Reads tally.yaml into the API's create bodies. The YAML is converted to JSON guided by the wire types' own JSON
/// contract (field names, types, required fields), so the file accepts exactly the fields the API does and every
/// mistake is reported at its line and column, before anything is sent.
/// </summary>
internal static class YamlCatalogReader
{
    private static readonly TallyJsonContext Context = TallyJsonContext.Default;

    public static CatalogSpec Read(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw Fail(file, e.Start, e.Message);
        }
        var spec = new CatalogSpec();
        if (stream.Documents.Count == 0)
        {
            return spec;
        }
        if (stream.Documents.Count > 1)
        {
            throw Fail(file, stream.Documents[1].RootNode.Start, "only one YAML document is allowed");
        }
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode s && IsNull(s))
        {
            return spec;
        }
        if (root is not YamlMappingNode map)
        {
            throw Fail(file, root.Start, "expected a mapping with features: and plans:");
        }
        foreach (var (keyNode, value) in map.Children)
        {
            switch (Key(file, keyNode))
            {
                case "features":
                    ReadList(file, value, "features", Context.CreateFeatureParams, spec.Features);
                    break;
                case "plans":
                    ReadList(file, value, "plans", Context.CreatePlanParams, spec.Plans);
                    break;
                default:
                    throw Fail(file, keyNode.Start, $"unknown key '{Key(file, keyNode)}' (expected features or plans)");
            }
        }
        Unique(file, spec.Features, f => f.FeatureId, "feature_id");
        Unique(file, spec.Plans, p => p.PlanId, "plan_id");
        return spec;
    }

    private static void ReadList<T>(string file, YamlNode node, string path, JsonTypeInfo<T> info, List<Located<T>> into)
    {
        if (node is YamlScalarNode s && IsNull(s))
        {
            return;
        }
        if (node is not YamlSequenceNode seq)
        {
            throw Fail(file, node.Start, $"{path}: expected a list (items starting with '- ')");
        }
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var json = Convert(file, item, info, $"{path}[{i}]");
            if (json is not JsonObject)
            {
                throw Fail(file, item.Start, $"{path}[{i}]: expected a mapping");
            }
            T value;
            try
            {
                value = json.Deserialize(info)!;
            }
            catch (JsonException e)
            {
                throw Fail(file, item.Start, $"{path}[{i}]: {e.Message}");
            }
            into.Add(new Located<T>(value, item.Start));
        }
    }

    private static JsonNode? Convert(string file, YamlNode node, JsonTypeInfo info, string path)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (type != info.Type)
        {
            info = Context.GetTypeInfo(type)!;
        }
        if (node is YamlScalarNode nullable && IsNull(nullable))
        {
            return null;
        }
        if (type == typeof(JsonElement))
        {
            return Free(file, node, path);
        }
        if (type == typeof(string))
        {
            return JsonValue.Create(Scalar(file, node, path, "a string"));
        }
        if (type == typeof(bool))
        {
            return Scalar(file, node, path, "true or false").ToLowerInvariant() switch
            {
                "true" => JsonValue.Create(true),
                "false" => JsonValue.Create(false),
                var other => throw Fail(file, node.Start, $"{path}: expected true or false, got '{other}'"),
            };
        }
        if (type == typeof(decimal))
        {
            var text = Scalar(file, node, path, "a number");
            return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? JsonValue.Create(d)
                : throw Fail(file, node.Start, $"{path}: expected a number, got '{text}'");
        }
        if (type == typeof(int) || type == typeof(long))
        {
            var text = Scalar(file, node, path, "a whole number");
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && (type == typeof(long) || n is >= int.MinValue and <= int.MaxValue)
                ? JsonValue.Create(n)
                : throw Fail(file, node.Start, $"{path}: expected a whole number, got '{text}'");
        }
        if (info.Kind == JsonTypeInfoKind.Enumerable)
        {
            if (node is not YamlSequenceNode seq)
            {
                throw Fail(file, node.Start, $"{path}: expected a list");
            }
            var element = Context.GetTypeInfo(info.ElementType!)!;
            var array = new JsonArray();
            for (var i = 0; i < seq.Children.Count; i++)
            {
                array.Add(Convert(file, seq.Children[i], element, $"{path}[{i}]"));
            }
            return array;
        }
        if (info.Kind == JsonTypeInfoKind.Object)
        {
            if (node is not YamlMappingNode map)
            {
                throw Fail(file, node.Start, $"{path}: expected a mapping (key: value lines)");
            }
            var obj = new JsonObject();
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(file, keyNode);
                var property = info.Properties.FirstOrDefault(p => p.Name == key)
                    ?? throw Fail(file, keyNode.Start, $"{path}: unknown field '{key}' (known: {string.Join(", ", info.Properties.Select(p => p.Name))})");
                obj[key] = Convert(file, value, Context.GetTypeInfo(property.PropertyType)!, $"{path}.{key}");
            }
            foreach (var required in info.Properties.Where(p => p.IsRequired && !obj.ContainsKey(p.Name)))
            {
                throw Fail(file, node.Start, $"{path}: missing required field '{required.Name}'");
            }
            return obj;
        }
        if (info.Kind == JsonTypeInfoKind.Dictionary)
        {
            return Free(file, node, path);
        }
        throw Fail(file, node.Start, $"{path}: unsupported field type {type.Name}");
    }

    /// <summary>Pass-through JSON (metadata, config, tier bounds): plain YAML scalars keep their YAML 1.2 core type.</summary>
    private static JsonNode? Free(string file, YamlNode node, string path)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (keyNode, value) in map.Children)
                {
                    var key = Key(file, keyNode);
                    obj[key] = Free(file, value, $"{path}.{key}");
                }
                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                for (var i = 0; i < seq.Children.Count; i++)
                {
                    array.Add(Free(file, seq.Children[i], $"{path}[{i}]"));
                }
                return array;
            case YamlScalarNode s when s.Style is ScalarStyle.Plain:
                if (IsNull(s))
                {
                    return null;
                }
                var text = s.Value ?? "";
                if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
                {
                    return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
                }
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(text);
            case YamlScalarNode s:
                return JsonValue.Create(s.Value ?? "");
            default:
                throw Fail(file, node.Start, $"{path}: aliases and tags are not supported");
        }
    }

    private static string Scalar(string file, YamlNode node, string path, string expected) =>
        node is YamlScalarNode s ? s.Value ?? "" : throw Fail(file, node.Start, $"{path}: expected {expected}");

    private static string Key(string file, YamlNode node) =>
        node is YamlScalarNode s ? s.Value ?? "" : throw Fail(file, node.Start, "keys must be plain words");

    private static bool IsNull(YamlScalarNode s) => s.Style == ScalarStyle.Plain && s.Value is "" or "~" or "null" or "Null" or "NULL";

    private static void Unique<T>(string file, List<Located<T>> items, Func<T, string> id, string field)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items.Where(item => !seen.Add(id(item.Value))))
        {
            throw Fail(file, item.Start, $"{field} '{id(item.Value)}' is listed twice");
        }
    }

    public static UsageException Fail(string file, Mark mark, string message) => new($"{file}:{mark.Line}:{mark.Column}: {message}");
}
