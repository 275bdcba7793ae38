using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Tally.Server.Tests.Http.Fuzz;

/// <summary>
/// Seeded request bodies for one route, generated from the route's own request contract (its JsonTypeInfo), so a
/// route added later is fuzzed with its real field names and types: a plausible body, then one hostile change
/// (a wrong type, a null, a missing or unknown field, an extreme number, a long string, invalid Unicode, deep
/// nesting, a null in a list) or raw bytes that are not valid JSON at all.
/// </summary>
public sealed class FuzzBodies(JsonTypeInfo contract, Random random, FuzzIds ids)
{
    private const string LoneSurrogate = "__LONE_SURROGATE__";
    private const string RawFf = "__RAW_FF__";
    private const string Nul = "__NUL__";

    public byte[] Next()
    {
        var kind = random.Next(12);
        if (kind == 0)
        {
            return Raw();
        }
        var body = Plausible(contract, "body", 0) ?? new JsonObject();
        if (kind > 1)
        {
            Mutate(body);
        }
        var text = body.ToJsonString();
        text = text.Replace(LoneSurrogate, "\\ud800", StringComparison.Ordinal).Replace(Nul, "\\u0000", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(text);
        var ff = Encoding.UTF8.GetBytes(RawFf);
        var at = bytes.AsSpan().IndexOf(ff);
        return at < 0 ? bytes : [.. bytes[..at], 0xFF, .. bytes[(at + ff.Length)..]];
    }

    /// <summary>Bytes that are not a JSON object: truncated, trailing garbage, other top-level values, nothing.</summary>
    private byte[] Raw()
    {
        var valid = (Plausible(contract, "body", 0) ?? new JsonObject()).ToJsonString();
        return random.Next(9) switch
        {
            0 => Encoding.UTF8.GetBytes(valid[..random.Next(valid.Length)]),
            1 => Encoding.UTF8.GetBytes(valid + "}"),
            2 => "[]"u8.ToArray(),
            3 => "null"u8.ToArray(),
            4 => "\"text\""u8.ToArray(),
            5 => [],
            6 => [0xFF, 0xFE, (byte)'{', (byte)'}'],
            7 => Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
            _ => Encoding.UTF8.GetBytes("{\"a\":1,}"),
        };
    }

    private void Mutate(JsonNode body)
    {
        var (parent, name) = PickSlot(body);
        if (parent is null)
        {
            return;
        }
        switch (random.Next(4))
        {
            case 0 when name is not null:
                parent.AsObject().Remove(name);
                break;
            case 1 when parent is JsonObject o:
                o["unknown_" + random.Next(100).ToString(CultureInfo.InvariantCulture)] = Hostile();
                break;
            default:
                if (parent is JsonObject obj && name is not null)
                {
                    obj[name] = Hostile();
                }
                else if (parent is JsonArray arr && arr.Count > 0)
                {
                    arr[random.Next(arr.Count)] = Hostile();
                }
                break;
        }
    }

    /// <summary>A random container of the body and one of its keys (null for an array).</summary>
    private (JsonNode? Parent, string? Name) PickSlot(JsonNode root)
    {
        var slots = new List<(JsonNode, string?)>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    slots.Add((o, null));
                    foreach (var (k, v) in o.ToList())
                    {
                        slots.Add((o, k));
                        Walk(v);
                    }
                    break;
                case JsonArray a:
                    slots.Add((a, null));
                    foreach (var v in a)
                    {
                        Walk(v);
                    }
                    break;
            }
        }
        Walk(root);
        if (slots.Count == 0)
        {
            return (null, null);
        }
        var (parent, name) = slots[random.Next(slots.Count)];
        if (name is null && parent is JsonObject po && po.Count > 0 && random.Next(2) == 0)
        {
            name = po.ElementAt(random.Next(po.Count)).Key;
        }
        return (parent, name);
    }

    private JsonNode? Hostile() => random.Next(24) switch
    {
        0 => null,
        1 => JsonValue.Create(true),
        2 => JsonValue.Create(0),
        3 => JsonValue.Create(-1),
        4 => JsonNode.Parse("1e308"),
        5 => JsonNode.Parse("-1e308"),
        6 => JsonNode.Parse("1e-30"),
        7 => JsonNode.Parse("79228162514264337593543950336"),
        8 => JsonNode.Parse("9223372036854775808"),
        9 => JsonNode.Parse("-9223372036854775809"),
        10 => JsonValue.Create(1.5m),
        11 => JsonValue.Create(""),
        12 => JsonValue.Create(new string('z', 300)),
        13 => JsonValue.Create(new string('%', 5000)),
        14 => new JsonObject(),
        15 => new JsonArray(),
        16 => new JsonArray((JsonNode?)null),
        17 => Deep(40),
        18 => JsonValue.Create("x" + LoneSurrogate),
        19 => JsonValue.Create("x" + RawFf),
        20 => JsonValue.Create("x" + Nul),
        21 => new JsonArray([.. Enumerable.Range(0, 1001).Select(i => (JsonNode?)JsonValue.Create(i))]),
        22 => JsonValue.Create(ids.Pick(random)),
        _ => JsonValue.Create(-0.0),
    };

    private static JsonNode Deep(int levels)
    {
        JsonNode node = new JsonObject();
        for (var i = 0; i < levels; i++)
        {
            node = new JsonObject { ["a"] = node };
        }
        return node;
    }

    /// <summary>A value the contract accepts in shape (its ids are the fuzz's own), or null for an unknown type.</summary>
    private JsonNode? Plausible(JsonTypeInfo info, string name, int depth)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (type == typeof(string))
        {
            return JsonValue.Create(ids.For(name, random));
        }
        if (type == typeof(bool))
        {
            return JsonValue.Create(random.Next(2) == 0);
        }
        if (type == typeof(int) || type == typeof(long) || type == typeof(decimal) || type == typeof(double))
        {
            return JsonValue.Create(random.Next(0, 5));
        }
        if (type == typeof(JsonElement))
        {
            return new JsonObject { ["note"] = "fuzz", ["n"] = random.Next(10) };
        }
        if (depth > 4)
        {
            return null;
        }
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                {
                    var o = new JsonObject();
                    foreach (var p in info.Properties)
                    {
                        if (random.Next(3) == 0 && !p.IsRequired)
                        {
                            continue;
                        }
                        o[p.Name] = Plausible(info.Options.GetTypeInfo(p.PropertyType), p.Name, depth + 1);
                    }
                    return o;
                }
            case JsonTypeInfoKind.Enumerable when info.ElementType is { } element:
                {
                    var a = new JsonArray();
                    for (var i = random.Next(3); i > 0; i--)
                    {
                        a.Add(Plausible(info.Options.GetTypeInfo(element), name, depth + 1));
                    }
                    return a;
                }
            case JsonTypeInfoKind.Dictionary when info.ElementType is { } value:
                return new JsonObject { [ids.For(name, random)] = Plausible(info.Options.GetTypeInfo(value), name, depth + 1) };
            default:
                return null;
        }
    }
}

/// <summary>The fuzz's own customers, features and plans: every id a fuzzed body names is one of these or unknown.</summary>
public sealed class FuzzIds(string customer, string feature, string boolean, string plan, string entity)
{
    private static readonly string[] Words = ["month", "day", "year", "metered", "boolean", "credit_system", "single_use", "continuous_use", "one_off", "prepaid", "unknown"];

    public string Pick(Random random) => random.Next(5) switch
    {
        0 => customer,
        1 => feature,
        2 => boolean,
        3 => plan,
        _ => entity,
    };

    private static readonly Dictionary<string, string[]> Choices = new(StringComparer.Ordinal)
    {
        ["type"] = ["metered", "boolean", "credit_system"],
        ["interval"] = ["month", "day", "year", "one_off"],
        ["action"] = ["confirm", "release"],
        ["overage_behavior"] = ["cap", "reject", "overflow"],
        ["sort_order"] = ["asc", "desc"],
        ["usage_model"] = ["prepaid", "pay_per_use"],
    };

    public string For(string field, Random random) => field switch
    {
        _ when Choices.TryGetValue(field, out var choices) => choices[random.Next(choices.Length)],
        _ when field.Contains("customer", StringComparison.Ordinal) => customer,
        _ when field.Contains("entity", StringComparison.Ordinal) => entity,
        _ when field.Contains("plan", StringComparison.Ordinal) || field.Contains("product", StringComparison.Ordinal) => plan,
        _ when field.Contains("feature", StringComparison.Ordinal) || field.Contains("event", StringComparison.Ordinal) => random.Next(2) == 0 ? feature : boolean,
        _ => Words[random.Next(Words.Length)],
    };
}
