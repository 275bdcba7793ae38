using System.Text.Json;
using Tally.Core.Domain;
using Tally.Server.Http;

namespace Tally.Server.Api.Customers;

/// <summary>
/// billing_controls at the edge, shared by the customer and entity routes: validation (the engine trusts what is
/// stored) and Autumn's per-key merge on update, where each key sent replaces that key and the others stay.
/// </summary>
internal static class ControlRules
{
    /// <summary>A 400 naming the field when the object is malformed, else null. Absent is fine.</summary>
    public static Reply? Validate(TenantId t, JsonElement? value)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var (_, error) = BillingControls.Parse(v);
        return error is null ? null : Errors.Invalid(t, error);
    }

    /// <summary>
    /// The stored object after an update that sent <paramref name="incoming"/>: keys sent replace the stored ones
    /// (a null removes the key), keys not sent are kept, in their stored order.
    /// </summary>
    public static string Merge(string stored, JsonElement? incoming)
    {
        if (incoming is not { ValueKind: JsonValueKind.Object } sent)
        {
            return stored;
        }
        using var old = JsonDocument.Parse(string.IsNullOrEmpty(stored) ? "{}" : stored);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var p in old.RootElement.EnumerateObject())
            {
                if (!sent.TryGetProperty(p.Name, out _))
                {
                    p.WriteTo(writer);
                }
            }
            foreach (var p in sent.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Null)
                {
                    p.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
