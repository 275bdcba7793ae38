using System.Text;
using Tally.Core.Domain;

namespace Tally.Storage.Postgres;

/// <summary>
/// Keys for transaction-scoped advisory locks. A 64-bit hash of (kind, org, env, id): a collision only
/// serialises two unrelated requests, it never lets two related ones through together.
/// </summary>
internal static class LockKeys
{
    /// <summary>Held while migrating, so several nodes starting at once migrate one after the other.</summary>
    public const long Migration = 0x7461_6C6C_795F_6D67; // "tally_mg"

    public static long Customer(TenantId t, string customerId) => Hash('c', t, customerId);

    public static long Idempotency(TenantId t, string scopedKey) => Hash('i', t, scopedKey);

    private static long Hash(char kind, TenantId t, string id)
    {
        // FNV-1a over the UTF-8 bytes, with a separator that cannot occur in the parts' encodings.
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var h = offset;
        void Mix(string s)
        {
            foreach (var b in Encoding.UTF8.GetBytes(s))
            {
                h = (h ^ b) * prime;
            }
            h = (h ^ 0xFF) * prime;
        }
        Mix(kind.ToString());
        Mix(t.OrgId);
        Mix(RowCodec.EnvName(t.Env));
        Mix(id);
        return unchecked((long)h);
    }
}
