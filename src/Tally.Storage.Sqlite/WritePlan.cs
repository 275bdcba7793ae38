namespace Tally.Storage.Sqlite;

/// <summary>Where a unit's statements go: straight to the writer, or into a plan prepared off the writer thread.</summary>
internal interface ISqlSink
{
    void Exec(string sql, params object?[] args);

    /// <summary>
    /// Queues a write that only the last one per key needs. When a different statement is already queued for the key,
    /// <paramref name="upgrade"/> (if given) supplies a statement that subsumes both (e.g. a full row over a balance-only update).
    /// </summary>
    void Defer(string sql, string key, object?[] args, Func<(string Sql, object?[] Args)>? upgrade = null);

    void FlushDeferred();
}

/// <summary>
/// A unit's statements with their arguments already encoded (JSON rows, decimal text) on the request thread, so the
/// single writer thread only binds and steps statements.
/// </summary>
internal sealed class WritePlan : ISqlSink
{
    private readonly List<(string? Sql, string? Key, object?[]? Args, Func<(string, object?[])>? Upgrade)> _ops = [];

    public void Exec(string sql, params object?[] args) => _ops.Add((sql, null, args, null));

    public void Defer(string sql, string key, object?[] args, Func<(string Sql, object?[] Args)>? upgrade = null) =>
        _ops.Add((sql, key, args, upgrade));

    public void FlushDeferred() => _ops.Add((null, null, null, null));

    public void ApplyTo(SqlWriter w)
    {
        foreach (var (sql, key, args, upgrade) in _ops)
        {
            if (sql is null)
            {
                w.FlushDeferred();
            }
            else if (key is not null)
            {
                w.Defer(sql, key, args!, upgrade);
            }
            else
            {
                w.Exec(sql, args!);
            }
        }
    }
}
