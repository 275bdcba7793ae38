using Tally.Core.Domain;

namespace Tally.Server.Hosting;

/// <summary>
/// Time-ordered ids (48-bit millisecond timestamp, then 80 random bits, Crockford base32), so ids sort by creation
/// and do not collide across nodes. They are identifiers, not secrets, so a fast non-cryptographic generator is used.
/// </summary>
public sealed class SortableIdGenerator(TimeProvider time) : IIdGenerator
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public string NewId(string prefix)
    {
        var ms = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds() & 0xFFFF_FFFF_FFFF;
        Span<byte> random = stackalloc byte[10];
        Random.Shared.NextBytes(random);
        var high = (ms << 16) | ((ulong)random[0] << 8) | random[1];
        var low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(random[2..]);
        var value = new UInt128(high, low);
        return string.Create(prefix.Length + 26, (prefix, value), static (chars, state) =>
        {
            state.prefix.AsSpan().CopyTo(chars);
            var v = state.value;
            for (var i = chars.Length - 1; i >= state.prefix.Length; i--)
            {
                chars[i] = Alphabet[(int)(v & 31)];
                v >>= 5;
            }
        });
    }
}
