using System.Data.Common;
using Tally.Core.Domain;

namespace Tally.Storage;

public static class EventRows
{
    /// <summary>The columns both stores select for a ledger event, in the order <see cref="Read"/> expects them.</summary>
    public const string Columns = "seq, customer_id, event_id, kind, entity_id, event_name, value, properties, timestamp, idempotency_key";

    /// <summary>
    /// A ledger event from a row of <see cref="Columns"/> followed by the deltas as JSON text. The value is decimal
    /// text on SQLite and a numeric on PostgreSQL; either is read exactly.
    /// </summary>
    public static LedgerEvent Read(DbDataReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new LedgerEvent
        {
            Seq = r.GetInt64(0),
            CustomerId = r.GetString(1),
            Id = r.GetString(2),
            Kind = Enum.Parse<LedgerKind>(r.GetString(3)),
            EntityId = r.IsDBNull(4) ? null : r.GetString(4),
            EventName = r.GetString(5),
            Value = r.GetFieldType(6) == typeof(string) ? RowCodec.Dec(r.GetString(6)) : r.GetDecimal(6),
            PropertiesJson = r.GetString(7),
            Timestamp = RowCodec.FromMs(r.GetInt64(8)),
            IdempotencyKey = r.IsDBNull(9) ? null : r.GetString(9),
            Deltas = RowCodec.Read<List<SourceDelta>>(r.GetString(10)),
        };
    }
}
