using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Reads a JSON number into <see cref="long"/>, accepting integral floats such as <c>1700000000000.0</c>.</summary>
public sealed class LenientInt64Converter : JsonConverter<long>
{
    /// <inheritdoc/>
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException(LenientNumbers.NotANumber(reader.TokenType));
        }

        if (reader.TryGetInt64(out var value))
        {
            return value;
        }

        if (reader.TryGetDecimal(out var d) && decimal.Truncate(d) == d && d >= long.MinValue && d <= long.MaxValue)
        {
            return (long)d;
        }

        throw new JsonException(LenientNumbers.NotAnInteger(ref reader));
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }
}

/// <summary>Reads a JSON number into <see cref="int"/>, accepting integral floats such as <c>10.0</c>.</summary>
public sealed class LenientInt32Converter : JsonConverter<int>
{
    /// <inheritdoc/>
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException(LenientNumbers.NotANumber(reader.TokenType));
        }

        if (reader.TryGetInt32(out var value))
        {
            return value;
        }

        if (reader.TryGetDecimal(out var d) && decimal.Truncate(d) == d && d >= int.MinValue && d <= int.MaxValue)
        {
            return (int)d;
        }

        throw new JsonException(LenientNumbers.NotAnInteger(ref reader));
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }
}

/// <summary>Error messages shared by the lenient integer converters.</summary>
internal static class LenientNumbers
{
    public static string NotANumber(JsonTokenType token)
    {
        var received = token switch
        {
            JsonTokenType.String => "string",
            JsonTokenType.True or JsonTokenType.False => "boolean",
            JsonTokenType.StartObject => "object",
            JsonTokenType.StartArray => "array",
            JsonTokenType.Null => "null",
            _ => "non-number",
        };
        return string.Create(CultureInfo.InvariantCulture, $"must be an integer (received {received})");
    }

    public static string NotAnInteger(ref Utf8JsonReader reader)
    {
        var raw = reader.HasValueSequence
            ? Encoding.UTF8.GetString(reader.ValueSequence)
            : Encoding.UTF8.GetString(reader.ValueSpan);
        return string.Create(CultureInfo.InvariantCulture, $"must be an integer (received {raw})");
    }
}
