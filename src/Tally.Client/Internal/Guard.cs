namespace Tally.Client.Internal;

/// <summary>Client-side checks that fail with an <see cref="ArgumentException"/> before any request is sent.</summary>
internal static class Guard
{
    public static void NotEmpty(string? value, string field, string paramName)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{field} must be a non-empty string.", paramName);
        }
    }

    /// <summary>Null is allowed; an empty or blank string is not.</summary>
    public static void NullOrNotEmpty(string? value, string field, string paramName)
    {
        if (value is not null && string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{field} must be null or a non-empty string.", paramName);
        }
    }
}
