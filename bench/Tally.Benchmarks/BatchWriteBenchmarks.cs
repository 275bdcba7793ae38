using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Tally.Storage.Sqlite;

namespace Tally.Benchmarks;

/// <summary>
/// The SQLite writer's share of a 1,000-event batch_track: the unit's ledger rows in 64- and 8-row INSERTs, as the
/// store issues them, into a copy of the <c>events</c> table with its two indexes (in memory, rolled back after each
/// operation, so this is statement CPU without the disk). <see cref="ByName"/> binds the way the writer did before
/// (a <see cref="SqliteCommand"/> per statement, whose parameters SQLite looks up by name on every execution);
/// <see cref="ByPosition"/> goes through the writer's <see cref="SqlWriter"/>, which binds by position.
/// </summary>
[MemoryDiagnoser]
public class BatchWriteBenchmarks : IDisposable
{
    public const int Events = 1000;
    private const int Columns = 9;
    private static readonly int[] Chunks = [64, 8, 1];

    private readonly SqliteConnection _db = new("Data Source=:memory:");
    private readonly Dictionary<int, SqliteCommand> _commands = [];
    private SqlWriter _writer = null!;
    private string[] _sql = null!;
    private object?[][] _rows = null!;

    [GlobalSetup]
    public void Setup()
    {
        _db.Open();
        using (var create = _db.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, env TEXT NOT NULL, customer_id TEXT NOT NULL,
                    event_id TEXT NOT NULL, kind TEXT NOT NULL, entity_id TEXT, event_name TEXT NOT NULL, value TEXT NOT NULL,
                    properties TEXT NOT NULL, timestamp INTEGER NOT NULL, idempotency_key TEXT, deltas TEXT NOT NULL);
                CREATE INDEX events_by_customer ON events (org_id, env, customer_id, seq);
                CREATE INDEX events_by_tenant ON events (org_id, env, kind, seq);
                """;
            create.ExecuteNonQuery();
        }
        _writer = new SqlWriter(_db);
        _sql = [.. Chunks.Select(Insert)];
        const string deltas = """[{"source_id":"cus_ent_01m8trxxqdvb52zs5cseabawjw","feature_id":"messages","plan_id":"pro","interval":"month","interval_count":"1","resets_at":"2027-01-01T00:00:00+00:00","value":"1"}]""";
        _rows = [.. Enumerable.Range(0, Events).Select(i => new object?[]
        {
            $"evt_01m8trxxqdvb52zs5cseab{i:D4}", "Track", null, "messages", "1", "{}", 1_764_000_000_000L + i, null, deltas,
        })];
    }

    private static string Insert(int rows)
    {
        var sb = new System.Text.StringBuilder("INSERT INTO events (org_id, env, customer_id, event_id, kind, entity_id, event_name, value, "
            + "properties, timestamp, idempotency_key, deltas) VALUES");
        for (var r = 0; r < rows; r++)
        {
            sb.Append(r == 0 ? " ($0, $1, $2" : ", ($0, $1, $2");
            for (var c = 0; c < Columns; c++)
            {
                sb.Append(", $").Append(3 + (r * Columns) + c);
            }
            sb.Append(')');
        }
        return sb.ToString();
    }

    /// <summary>The statements and arguments of one unit of <see cref="Events"/> ledger rows, largest chunks first.</summary>
    private IEnumerable<(int Chunk, object?[] Args)> Statements()
    {
        var next = 0;
        for (var k = 0; k < Chunks.Length; k++)
        {
            var rows = Chunks[k];
            while (Events - next >= rows)
            {
                var args = new object?[3 + (rows * Columns)];
                (args[0], args[1], args[2]) = ("org_1", "sandbox", "hot");
                for (var r = 0; r < rows; r++)
                {
                    Array.Copy(_rows[next + r], 0, args, 3 + (r * Columns), Columns);
                }
                yield return (k, args);
                next += rows;
            }
        }
    }

    [Benchmark(Baseline = true)]
    public int ByName()
    {
        using var tx = _db.BeginTransaction();
        var n = 0;
        foreach (var (chunk, args) in Statements())
        {
            if (!_commands.TryGetValue(chunk, out var cmd))
            {
                cmd = _db.CreateCommand();
                cmd.CommandText = _sql[chunk];
                for (var i = 0; i < args.Length; i++)
                {
                    cmd.Parameters.Add(new SqliteParameter("$" + i, null));
                }
                _commands[chunk] = cmd;
            }
            cmd.Transaction = tx;
            for (var i = 0; i < args.Length; i++)
            {
                cmd.Parameters[i].Value = args[i] ?? DBNull.Value;
            }
            n += cmd.ExecuteNonQuery();
        }
        tx.Rollback();
        return n;
    }

    [Benchmark]
    public int ByPosition()
    {
        using var tx = _db.BeginTransaction();
        _writer.Transaction = tx;
        var n = 0;
        foreach (var (chunk, args) in Statements())
        {
            n += _writer.Exec(_sql[chunk], args);
        }
        tx.Rollback();
        return n;
    }

    public void Dispose()
    {
        foreach (var c in _commands.Values)
        {
            c.Dispose();
        }
        _writer?.Dispose();
        _db.Dispose();
        GC.SuppressFinalize(this);
    }
}
