using System.Buffers.Text;
using System.Text;

namespace Tally.Server.Http;

/// <summary>Opaque pagination cursors: base64url of "kind:sequence". A cursor of another list is rejected.</summary>
public static class Cursor
{
    public static string Encode(string kind, long seq) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{kind}:{seq}"));

    public static bool TryDecode(string? cursor, string kind, out long seq)
    {
        seq = 0;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var parts = text.Split(':');
            return parts.Length == 2 && parts[0] == kind && long.TryParse(parts[1], out seq) && seq >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
