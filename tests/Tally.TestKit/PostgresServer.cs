using Npgsql;

namespace Tally.TestKit;

/// <summary>The PostgreSQL server the tests may use, named by <c>TALLY_TEST_POSTGRES</c> (an admin connection string).</summary>
public static class PostgresServer
{
    public const string Variable = "TALLY_TEST_POSTGRES";
    public const string SkipReason = "Set TALLY_TEST_POSTGRES to a PostgreSQL connection string to run the PostgreSQL tests";

    public static string? AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs ? cs : null;

    /// <summary>Runs one statement on the admin database (CREATE/DROP DATABASE cannot run inside the test's own).</summary>
    public static async Task AdminAsync(string sql)
    {
        await using var c = new NpgsqlConnection(AdminConnectionString ?? throw new InvalidOperationException(SkipReason));
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}
