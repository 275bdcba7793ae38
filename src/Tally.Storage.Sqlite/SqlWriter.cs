using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tally.Storage.Sqlite;

/// <summary>Runs statements on the writer connection, keeping one prepared statement per statement text.</summary>
internal sealed class SqlWriter(SqliteConnection connection) : ISqlSink, IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IndexedStatement?> _statements = new(StringComparer.Ordinal);

    // Row writes that only the last one of a batch needs (a balance row rewritten by many tracks in one batch),
    // keyed by table and primary key; flushed before any write that could depend on them and before commit.
    private readonly Dictionary<string, (string Sql, object?[] Args)> _deferred = new(StringComparer.Ordinal);
    private readonly List<string> _deferredOrder = [];

    public SqliteTransaction? Transaction { get; set; }

    public void Defer(string sql, string key, object?[] args, Func<(string Sql, object?[] Args)>? upgrade = null)
    {
        if (!_deferred.TryGetValue(key, out var pending))
        {
            _deferredOrder.Add(key);
            _deferred[key] = (sql, args);
            return;
        }
        _deferred[key] = pending.Sql != sql && upgrade is not null ? upgrade() : (sql, args);
    }

    public void FlushDeferred()
    {
        foreach (var k in _deferredOrder)
        {
            var (sql, args) = _deferred[k];
            Exec(sql, args);
        }
        DiscardDeferred();
    }

    public void DiscardDeferred()
    {
        _deferred.Clear();
        _deferredOrder.Clear();
    }

    void ISqlSink.Exec(string sql, params object?[] args) => Exec(sql, args);

    /// <summary>
    /// Runs one statement and returns the rows it changed. Statements whose arguments are all plain values are bound
    /// by position (<see cref="IndexedStatement"/>); anything else goes through a <see cref="SqliteCommand"/>.
    /// </summary>
    public int Exec(string sql, params object?[] args)
    {
        if (!_statements.TryGetValue(sql, out var indexed))
        {
            indexed = IndexedStatement.TryPrepare(connection.Handle!, sql, args.Length);
            _statements[sql] = indexed;
        }
        if (indexed is not null && indexed.Arity == args.Length && IndexedStatement.CanBind(args))
        {
            return indexed.Run(connection.Handle!, args);
        }
        return ExecCommand(sql, args);
    }

    private int ExecCommand(string sql, object?[] args)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            for (var i = 0; i < args.Length; i++)
            {
                cmd.Parameters.Add(new SqliteParameter("$" + i, null));
            }
            _commands[sql] = cmd;
        }
        cmd.Transaction = Transaction;
        for (var i = 0; i < args.Length; i++)
        {
            cmd.Parameters[i].Value = args[i] ?? DBNull.Value;
        }
        return cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var c in _commands.Values)
        {
            c.Dispose();
        }
        foreach (var s in _statements.Values)
        {
            s?.Dispose();
        }
    }
}

/// <summary>
/// One prepared statement whose parameters <c>$0 … $n-1</c> are bound by their position in the statement, looked up
/// once when it is prepared. Microsoft.Data.Sqlite looks every parameter up by name on every execution, and SQLite's
/// name lookup is a linear scan: for a 64-row ledger insert (579 parameters) that was a third of batch_track's CPU.
/// Binds exactly as Microsoft.Data.Sqlite does for the types it accepts (text, 64-bit integer, real, blob, null).
/// </summary>
internal sealed class IndexedStatement : IDisposable
{
    private readonly sqlite3_stmt _stmt;
    private readonly int[] _index;
    private readonly bool _readOnly;
    private byte[] _buffer = new byte[256];

    private IndexedStatement(sqlite3_stmt stmt, int[] index)
    {
        _stmt = stmt;
        _index = index;
        _readOnly = raw.sqlite3_stmt_readonly(stmt) != 0;
    }

    /// <summary>How many arguments the statement takes.</summary>
    public int Arity => _index.Length;

    /// <summary>
    /// Prepares <paramref name="sql"/> if it is one statement whose every parameter is one of <c>$0 … $arity-1</c>;
    /// otherwise null (the caller then uses a command, which reports what is wrong as it always did).
    /// </summary>
    public static IndexedStatement? TryPrepare(sqlite3 db, string sql, int arity)
    {
        if (raw.sqlite3_prepare_v2(db, sql, out var stmt, out var tail) != raw.SQLITE_OK || stmt is null)
        {
            stmt?.Dispose();
            return null;
        }
        var index = new int[arity];
        var found = 0;
        for (var i = 0; i < arity; i++)
        {
            index[i] = raw.sqlite3_bind_parameter_index(stmt, "$" + i);
            found += index[i] > 0 ? 1 : 0;
        }
        if (!string.IsNullOrWhiteSpace(tail) || found != raw.sqlite3_bind_parameter_count(stmt) || Array.IndexOf(index, 0) >= 0)
        {
            stmt.Dispose();
            return null;
        }
        return new IndexedStatement(stmt, index);
    }

    /// <summary>Whether every argument is a value this statement binds itself.</summary>
    public static bool CanBind(object?[] args)
    {
        foreach (var a in args)
        {
            var plain = a switch
            {
                null or DBNull or string or long or int or bool or byte[] => true,
                // Microsoft.Data.Sqlite refuses NaN with its own message: left to it.
                double d => !double.IsNaN(d),
                _ => false,
            };
            if (!plain)
            {
                return false;
            }
        }
        return true;
    }

    public int Run(sqlite3 db, object?[] args)
    {
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                Check(db, Bind(_index[i], args[i]));
            }
            int rc;
            while ((rc = raw.sqlite3_step(_stmt)) == raw.SQLITE_ROW)
            {
            }
            Check(db, rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc);
            return _readOnly ? 0 : raw.sqlite3_changes(db);
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    private int Bind(int at, object? value) => value switch
    {
        null or DBNull => raw.sqlite3_bind_null(_stmt, at),
        // Encoded into a reused buffer (SQLite copies it): no UTF-8 array per string. An empty span would bind as NULL.
        string { Length: > 0 } s => raw.sqlite3_bind_text(_stmt, at, Utf8(s)),
        string s => raw.sqlite3_bind_text(_stmt, at, s),
        long l => raw.sqlite3_bind_int64(_stmt, at, l),
        int n => raw.sqlite3_bind_int64(_stmt, at, n),
        bool b => raw.sqlite3_bind_int64(_stmt, at, b ? 1 : 0),
        double d => raw.sqlite3_bind_double(_stmt, at, d),
        // An empty span would bind as NULL (SQLite reads a null pointer as no value): bind an empty blob instead.
        byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(_stmt, at, 0),
        byte[] bytes => raw.sqlite3_bind_blob(_stmt, at, bytes),
        _ => throw new InvalidOperationException($"Cannot bind a {value.GetType().Name}"),
    };

    private ReadOnlySpan<byte> Utf8(string s)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(s.Length);
        if (_buffer.Length < max)
        {
            _buffer = new byte[Math.Max(max, _buffer.Length * 2)];
        }
        return _buffer.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(s, _buffer));
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    public void Dispose() => _stmt.Dispose();
}
