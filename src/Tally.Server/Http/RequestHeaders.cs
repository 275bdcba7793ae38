namespace Tally.Server.Http;

/// <summary>
/// The request headers Tally reads besides <c>Authorization</c> and <c>x-api-version</c>. Kestrel decodes header
/// values as Latin-1 (see Program.cs), so a non-ASCII byte arrives here as a character above U+007F instead of
/// being refused by Kestrel with an empty, non-JSON 400.
/// </summary>
public static class RequestHeaders
{
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>A 400 naming the header, or null when every header Tally reads is usable.</summary>
    public static Reply? Check(HttpContext http)
    {
        var values = http.Request.Headers[IdempotencyKey];
        if (values.Count == 0)
        {
            return null;
        }
        if (values.Count > 1)
        {
            return Errors.Invalid(http.Tenant(), $"{IdempotencyKey} header: send it once");
        }
        var key = values.ToString();
        if (key.Length > BodyScan.MaxIdLength)
        {
            return Errors.Invalid(http.Tenant(), $"{IdempotencyKey} header: must be at most {BodyScan.MaxIdLength} characters");
        }
        foreach (var c in key)
        {
            if (c is < ' ' or > '~')
            {
                return Errors.Invalid(http.Tenant(), $"{IdempotencyKey} header: must be printable ASCII");
            }
        }
        return null;
    }

    /// <summary>A header value fit to quote in a message: at most 64 characters, anything but printable ASCII as '?'.</summary>
    public static string Echo(string value)
    {
        var shown = value.Length > 64 ? value[..64] + "…" : value;
        return string.Create(shown.Length, shown, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = s[i] is < ' ' or > '~' and not '…' ? '?' : s[i];
            }
        });
    }
}
