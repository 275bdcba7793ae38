using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tally.Core.Domain;

namespace Tally.Storage;

/// <summary>
/// How domain rows are kept in the <c>data</c> column, shared by both stores so they write byte-identical JSON.
/// Decimals are strings so nothing is rounded.
/// </summary>
public static class RowCodec
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)
        ?? throw new InvalidDataException($"Stored {typeof(T).Name} is null");

    public static string Dec(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    public static decimal Dec(string s) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static string EnvName(Env env) => env == Env.Live ? "live" : "sandbox";

    public static Env ParseEnv(string s) => s == "live" ? Env.Live : Env.Sandbox;
}
