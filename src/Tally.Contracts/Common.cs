using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tally.Contracts;

/// <summary>Error body of every 4xx/5xx response: <c>{message, code, env}</c>.</summary>
public sealed class ErrorResponse
{
    /// <summary>Human-readable description of the error.</summary>
    public string Message { get; set; } = "";

    /// <summary>Stable machine-readable code (see <see cref="ErrorCodes"/>).</summary>
    public string Code { get; set; } = "";

    /// <summary>Environment of the caller's key (<c>sandbox</c> or <c>live</c>); omitted before auth resolves.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Env { get; set; }
}

/// <summary>Body of operations that only report success: <c>{success: true}</c>.</summary>
public sealed class SuccessResponse
{
    /// <summary>True when the operation succeeded.</summary>
    public bool Success { get; set; } = true;
}

/// <summary>Unpaginated list body: <c>{list: [...]}</c>.</summary>
/// <typeparam name="T">Item type.</typeparam>
public sealed class ListResponse<T>
{
    /// <summary>The items.</summary>
    public List<T> List { get; set; } = [];
}

/// <summary>Cursor-paginated list body: <c>{list: [...], next_cursor}</c>.</summary>
/// <typeparam name="T">Item type.</typeparam>
public sealed class CursorListResponse<T>
{
    /// <summary>The items of this page.</summary>
    public List<T> List { get; set; } = [];

    /// <summary>Opaque cursor of the next page; null on the last page.</summary>
    public string? NextCursor { get; set; }
}

/// <summary>Shared JSON values used as safe defaults.</summary>
internal static class JsonDefaults
{
    /// <summary>An empty JSON object (<c>{}</c>).</summary>
    public static JsonElement EmptyObject { get; } = CreateEmptyObject();

    private static JsonElement CreateEmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}

/// <summary>The body of routes that take no parameters (features.list); any fields sent are ignored.</summary>
public sealed class EmptyParams
{
}
