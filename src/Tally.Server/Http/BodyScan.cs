using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Tally.Server.Http;

/// <summary>
/// One pass over every request body before it is bound, so each route (and every route added later) gets the same
/// guarantees without a check in its handler: every string is valid Unicode without U+0000 (a lone surrogate or a
/// NUL would be committed and then fail every later read, or be refused by PostgreSQL), no list holds a null, the
/// nesting stays shallow, and ids, names and free text have a maximum length. Errors name the JSON path
/// (<c>items[0].price.tiers[1]</c>, <c>properties.note</c>). The limits are listed in README.md (## Limits).
/// </summary>
public static class BodyScan
{
    /// <summary>Ids, keys, event names, cursors and search terms.</summary>
    public const int MaxIdLength = 256;

    /// <summary>Names, descriptions, emails and every other string of Tally's own fields.</summary>
    public const int MaxTextLength = 1024;

    /// <summary>Strings inside the caller's own data (<c>properties</c>, <c>metadata</c>).</summary>
    public const int MaxFreeTextLength = 4096;

    /// <summary>Object keys, also inside <c>properties</c> and <c>metadata</c>.</summary>
    public const int MaxPropertyNameLength = 256;

    /// <summary>Containers (objects and arrays) nested inside one another, the body itself included.</summary>
    public const int MaxDepth = 32;

    /// <summary>Items of any one list (also the largest <c>balances.batch_track</c>).</summary>
    public const int MaxListItems = 1000;

    // The caller's own data: nulls in its lists are data, and its keys are not Tally's field names.
    private static readonly HashSet<string> FreeForm = new(StringComparer.Ordinal) { "properties", "metadata" };

    private static readonly HashSet<string> IdLike = new(StringComparer.Ordinal)
    {
        "id", "event_name", "event_names", "search", "start_cursor", "cursor", "expand",
    };

    /// <summary>What the scan found: nothing wrong, a problem at a path, or bytes the reader could not parse.</summary>
    public readonly record struct Finding(bool Unreadable, string? Problem)
    {
        public bool Ok => !Unreadable && Problem is null;
    }

    public static Finding Scan(ReadOnlySpan<byte> json, JsonSerializerOptions options)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = MaxDepth + 2,
        });
        // One frame per open container: its path, its item count (arrays), whether it is the caller's own data.
        var frames = new List<Frame>(8);
        string? property = null;
        try
        {
            while (reader.Read())
            {
                var parent = frames.Count > 0 ? frames[^1] : Root;
                var inArray = frames.Count > 0 && parent.IsArray;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        {
                            if (!IsValidString(ref reader, out var length))
                            {
                                return Problem($"{Label(parent.Path)}: property names must be valid Unicode (no lone surrogates, no invalid UTF-8, no U+0000)");
                            }
                            if (length > MaxPropertyNameLength)
                            {
                                return Problem($"{Label(parent.Path)}: property names must be at most {MaxPropertyNameLength} characters");
                            }
                            property = reader.GetString();
                            continue;
                        }
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        {
                            var path = inArray ? NextItem(frames) : Join(parent.Path, property);
                            if (frames.Count >= MaxDepth)
                            {
                                return Problem($"{Label(path)}: nested deeper than {MaxDepth} levels");
                            }
                            var free = parent.FreeForm || (!inArray && property is not null && FreeForm.Contains(property));
                            var limit = inArray ? parent.ItemLimit : LimitFor(property, parent.FreeForm);
                            frames.Add(new Frame(path, reader.TokenType == JsonTokenType.StartArray, free, limit));
                            property = null;
                            continue;
                        }
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        property = null;
                        continue;
                }
                var at = inArray ? NextItem(frames) : Join(parent.Path, property);
                if (reader.TokenType == JsonTokenType.Null && inArray && !parent.FreeForm)
                {
                    return Problem($"{at}: must not be null");
                }
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (!IsValidString(ref reader, out var length))
                    {
                        return Problem($"{Label(at)}: must be valid Unicode (no lone surrogates, no invalid UTF-8, no U+0000)");
                    }
                    var max = inArray ? parent.ItemLimit : LimitFor(property, parent.FreeForm);
                    if (length > max)
                    {
                        return Problem($"{Label(at)}: must be at most {max} characters");
                    }
                }
                property = null;
            }
        }
        catch (ListTooLong e)
        {
            return Problem(e.Message);
        }
        catch (JsonException)
        {
            return new Finding(true, null);
        }
        return default;
    }

    private static readonly Frame Root = new("", false, false, MaxTextLength);

    private static Finding Problem(string message) => new(false, message);

    private static string Label(string path) => path.Length == 0 ? "body" : path;

    private static int LimitFor(string? property, bool freeForm) =>
        freeForm ? MaxFreeTextLength
        : property is null ? MaxTextLength
        : IdLike.Contains(property) || property.EndsWith("_id", StringComparison.Ordinal) || property.EndsWith("_ids", StringComparison.Ordinal)
            || property.EndsWith("_key", StringComparison.Ordinal) ? MaxIdLength
        : MaxTextLength;

    private static string Join(string parent, string? property) =>
        property is null ? parent : parent.Length == 0 ? property : $"{parent}.{property}";

    /// <summary>The path of the next item of the innermost (array) frame, counting it against the list bound.</summary>
    private static string NextItem(List<Frame> frames)
    {
        var f = frames[^1];
        var index = f.Count;
        frames[^1] = f with { Count = index + 1 };
        if (index >= MaxListItems)
        {
            throw new ListTooLong($"{Label(f.Path)}: must have at most {MaxListItems} items");
        }
        return $"{f.Path}[{index}]";
    }

    /// <summary>
    /// Checks the raw (possibly escaped) token text: valid UTF-8, every <c>\uD800</c>–<c>\uDFFF</c> escape part of
    /// a proper pair, no U+0000. The unescaping reader would otherwise turn a lone surrogate into text that cannot
    /// be encoded again. Also returns the length in UTF-16 code units.
    /// </summary>
    private static bool IsValidString(ref Utf8JsonReader reader, out int length)
    {
        ReadOnlySpan<byte> raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        length = 0;
        if (!reader.ValueIsEscaped)
        {
            length = Encoding.UTF8.GetCharCount(raw);
            return Utf8.IsValid(raw) && raw.IndexOf((byte)0) < 0;
        }
        var start = 0;
        var pendingHigh = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }
            var run = raw[start..i];
            if (!Utf8.IsValid(run) || run.IndexOf((byte)0) >= 0 || (pendingHigh && run.Length > 0))
            {
                return false;
            }
            length += Encoding.UTF8.GetCharCount(run);
            var kind = raw[i + 1];
            if (kind != (byte)'u')
            {
                if (pendingHigh)
                {
                    return false;
                }
                length++;
                i++;
                start = i + 1;
                continue;
            }
            var unit = Convert.ToInt32(Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), 16);
            if (unit == 0 || (char.IsLowSurrogate((char)unit) != pendingHigh))
            {
                return false;
            }
            pendingHigh = char.IsHighSurrogate((char)unit);
            length++;
            i += 5;
            start = i + 1;
        }
        var tail = raw[start..];
        length += Encoding.UTF8.GetCharCount(tail);
        return !pendingHigh && Utf8.IsValid(tail) && tail.IndexOf((byte)0) < 0;
    }

    private sealed class ListTooLong(string message) : JsonException(message);

    private readonly record struct Frame(string Path, bool IsArray, bool FreeForm, int ItemLimit)
    {
        public int Count { get; init; }
    }
}
