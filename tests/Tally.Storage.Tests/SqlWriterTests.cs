using Microsoft.Data.Sqlite;
using Tally.Core.Domain;
using Tally.Storage.Sqlite;

namespace Tally.Storage.Tests;

/// <summary>
/// The writer's positional binding against Microsoft.Data.Sqlite's own: the same statement, run both ways, stores the
/// same values with the same SQLite types; what it cannot bind itself still runs through a command.
/// </summary>
public sealed class SqlWriterTests : IDisposable
{
    private readonly SqliteConnection _db = new("Data Source=:memory:");

    public SqlWriterTests()
    {
        _db.Open();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "CREATE TABLE t (k TEXT PRIMARY KEY, a, b, c, d, e, f, g)";
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _db.Dispose();

    private const string Insert = "INSERT INTO t (k, a, b, c, d, e, f, g) VALUES ($0, $1, $2, $3, $4, $5, $6, $7)";

    private List<string> Row(string k, string show = "quote")
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT " + string.Join(", ", "abcdefg".Select(c => $"typeof({c}), {show}({c})")) + " FROM t WHERE k = $k";
        cmd.Parameters.AddWithValue("$k", k);
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        return [.. Enumerable.Range(0, r.FieldCount).Select(r.GetString)];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Exec_PlainArguments_StoreWhatACommandStores(int seed)
    {
        var random = new Random(seed);
        object?[] values = ["héllo \u0000 \u0001 wörld 😀", random.NextInt64(long.MinValue, long.MaxValue), random.Next(int.MinValue, int.MaxValue),
            random.NextDouble() * 1e300, random.Next(2) == 0, new byte[] { 0, 1, 255 }, Array.Empty<byte>()];
        values = [.. values.OrderBy(_ => random.Next())];
        using var writer = new SqlWriter(_db);

        writer.Exec(Insert, ["indexed", .. values]);
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = Insert;
            cmd.Parameters.AddWithValue("$0", "command");
            for (var i = 0; i < values.Length; i++)
            {
                cmd.Parameters.AddWithValue("$" + (i + 1), values[i]);
            }
            cmd.ExecuteNonQuery();
        }

        Assert.Equal(Row("command", "hex"), Row("indexed", "hex"));
    }

    [Fact]
    public void Exec_NullsAndParametersOutOfOrder_BindByName()
    {
        using var writer = new SqlWriter(_db);
        writer.Exec(Insert, "k1", 1L, 2L, 3L, 4L, 5L, 6L, 7L);

        var changed = writer.Exec("UPDATE t SET g = $2, a = $1, b = $3 WHERE k = $0", "k1", null, "x", DBNull.Value);

        Assert.Equal(1, changed);
        Assert.Equal(["null", "NULL", "null", "NULL", "integer", "3"], Row("k1")[..6]);
        Assert.Equal(["text", "'x'"], Row("k1")[12..]);
    }

    [Fact]
    public void Exec_FailingStatement_ThrowsSqliteExceptionAndTheStatementRunsAgain()
    {
        using var writer = new SqlWriter(_db);
        writer.Exec(Insert, "k1", 1L, 2L, 3L, 4L, 5L, 6L, 7L);

        var e = Assert.Throws<SqliteException>(() => writer.Exec(Insert, "k1", 1L, 2L, 3L, 4L, 5L, 6L, 7L));
        Assert.Equal(19, e.SqliteErrorCode); // SQLITE_CONSTRAINT

        Assert.Equal(1, writer.Exec(Insert, "k2", 1L, 2L, 3L, 4L, 5L, 6L, 7L));
        Assert.Equal(["integer", "1"], Row("k2")[..2]);
    }

    [Fact]
    public void Exec_WhatItCannotBindItself_GoesThroughACommand()
    {
        using var writer = new SqlWriter(_db);

        // A decimal (Microsoft.Data.Sqlite binds it as text in its own format) and two statements in one text.
        writer.Exec(Insert, "k1", 1.50m, 2L, 3L, 4L, 5L, 6L, 7L);
        writer.Exec("UPDATE t SET b = $1 WHERE k = $0; UPDATE t SET c = $1 WHERE k = $0", "k1", "both");

        Assert.Equal(["text", "'1.5'", "text", "'both'", "text", "'both'"], Row("k1")[..6]);
        Assert.Throws<InvalidOperationException>(() => writer.Exec(Insert, "k2", double.NaN, 2L, 3L, 4L, 5L, 6L, 7L));
    }

    [Fact]
    public void SameDeltas_AnyPropertyThatPrintsDifferently_IsADifference()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var d = new SourceDelta
        {
            SourceId = "s",
            FeatureId = "f",
            PlanId = "p",
            Interval = ResetInterval.Month,
            IntervalCount = 2,
            ResetsAt = at,
            Value = 1m,
            RolloverId = "r",
        };
        SourceDelta[] variants =
        [
            d with { SourceId = "s2" }, d with { FeatureId = "f2" }, d with { PlanId = null }, d with { Interval = ResetInterval.Day },
            d with { IntervalCount = 3 }, d with { ResetsAt = at.AddTicks(1) }, d with { ResetsAt = at.ToOffset(TimeSpan.FromHours(1)) },
            d with { ResetsAt = null }, d with { Value = 1.0m }, d with { Value = 2m }, d with { RolloverId = null },
        ];
        // Every property of a delta is varied above: a new one must be compared (and varied here) too.
        Assert.Equal(8, typeof(SourceDelta).GetProperties().Count(p => p.Name != "EqualityContract"));

        Assert.True(SqliteStore.SameDeltas([d, d with { }], [d with { }, d]));
        Assert.False(SqliteStore.SameDeltas([d], [d, d]));
        foreach (var v in variants)
        {
            Assert.False(SqliteStore.SameDeltas([d], [v]), v.ToString());
            Assert.NotEqual(RowCodec.Write(new[] { d }), RowCodec.Write(new[] { v }));
        }
        Assert.True(SqliteStore.SameText(1m, 1m));
        Assert.False(SqliteStore.SameText(1m, 1.0m));
    }
}
