using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tally.Client.Internal;

/// <summary>Edits of an already serialized request body that leave the caller's parameter object untouched.</summary>
internal static class JsonBody
{
    /// <summary>Returns <paramref name="json"/> (a JSON object) with <paramref name="name"/> set to <paramref name="value"/>.</summary>
    public static byte[] WithString(byte[] json, string name, string value)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>(json.Length + name.Length + value.Length + 8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.NameEquals(name))
                {
                    property.WriteTo(writer);
                }
            }
            writer.WriteString(name, value);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Returns <paramref name="json"/> (a JSON object) with each named property (of the root, or of its object
    /// <c>Parent</c>) set to null.</summary>
    public static byte[] WithNulls(byte[] json, IReadOnlyList<(string? Parent, string Name)> nulls)
    {
        if (nulls.Count == 0)
        {
            return json;
        }
        var root = JsonNode.Parse(json)!.AsObject();
        foreach (var (parent, name) in nulls)
        {
            var target = parent is null ? root : root[parent]!.AsObject();
            target[name] = null;
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}
