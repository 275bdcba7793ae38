using Tally.Core.Storage;

namespace Tally.Storage;

/// <summary>What both stores do with the records found for a request's keys, and what they keep on commit.</summary>
public static class Idempotency
{
    /// <summary>
    /// Null when none of the request's keys has a live record: the work runs. A key seen with another request is
    /// a conflict, whatever the other keys say; otherwise a key seen with this same request replays its answer.
    /// </summary>
    public static StoreResult<T>? Answer<T>(IdempotencyRequest req, IReadOnlyList<IdempotencyRecord> found)
    {
        IdempotencyRecord? same = null;
        foreach (var record in found)
        {
            if (record.RequestHash != req.RequestHash)
            {
                return new StoreResult<T>(StoreOutcome.KeyConflict, default, record);
            }
            same ??= record;
        }
        return same is null ? null : new StoreResult<T>(StoreOutcome.Replayed, default, same);
    }

    /// <summary>The records to commit with a unit's changes: one per key, each answering the same.</summary>
    public static IReadOnlyList<IdempotencyRecord> Records(IdempotencyRequest? req, byte[]? body, int status, DateTimeOffset now)
    {
        if (req is null || body is null)
        {
            return [];
        }
        var keys = req.OrderedKeys;
        var records = new IdempotencyRecord[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            records[i] = new IdempotencyRecord(keys[i], req.RequestHash, status, body, now);
        }
        return records;
    }
}
