using System.Security.Cryptography;
using Tally.Core.Domain;

namespace Tally.Server.Hosting;

/// <summary>
/// Time-ordered ids (48-bit millisecond timestamp, then 80 random bits, Crockford base32),
/// so ids sort by creation and never collide across nodes.
/// </summary>
public sealed class SortableIdGenerator(TimeProvider time) : IIdGenerator
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public string NewId(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(ms & 0xFF);
            ms >>= 8;
        }
        RandomNumberGenerator.Fill(bytes[6..]);
        Span<char> chars = stackalloc char[26];
        var value = new UInt128(BitConverter.ToUInt64(Reverse(bytes[..8])), BitConverter.ToUInt64(Reverse(bytes[8..])));
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }
        return string.Concat(prefix, chars);
    }

    private static byte[] Reverse(ReadOnlySpan<byte> span)
    {
        var copy = span.ToArray();
        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(copy);
        }
        return copy;
    }
}
