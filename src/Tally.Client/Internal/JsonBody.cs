using System.Buffers;
using System.Text.Json;

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
}
