using System.Text.Json;
using W = Tally.Contracts;

namespace Tally.Server.Mapping;

/// <summary>Free-form JSON objects (metadata, config, billing controls) kept as raw text in Core.</summary>
public static class Json
{
    public static Dictionary<string, JsonElement> Object(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return [];
        }
        return JsonSerializer.Deserialize(raw, W.TallyJsonContext.Default.DictionaryStringJsonElement) ?? [];
    }

    public static string? Raw(JsonElement? value) => value is { ValueKind: JsonValueKind.Object } v ? v.GetRawText() : null;
}
