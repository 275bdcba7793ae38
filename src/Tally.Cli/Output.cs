using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Tally.Client;
using Tally.Contracts;

namespace Tally.Cli;

/// <summary>JSON and number formatting shared by the commands.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Pretty = new(TallyJsonContext.Default.Options) { WriteIndented = true };

    /// <summary>A wire object as the server's JSON (snake_case), indented.</summary>
    public static string Json<T>(T value, JsonTypeInfo<T> info)
    {
        var pretty = (JsonTypeInfo<T>)Pretty.GetTypeInfo(info.Type);
        return JsonSerializer.Serialize(value, pretty);
    }

    public static string Json(JsonNode node) => node.ToJsonString(Pretty);

    public static string ErrorJson(TallyApiException e) =>
        Json(new ErrorResponse { Code = e.Code, Message = e.Message, Env = e.Env }, TallyJsonContext.Default.ErrorResponse);

    public static string Number(decimal value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    /// <summary>An hour of the usage rollup, ISO 8601 in UTC (one token, so grep and awk see it whole).</summary>
    public static string Hour(long? ms) =>
        ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Time(long? ms) =>
        ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v).UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "-";
}
