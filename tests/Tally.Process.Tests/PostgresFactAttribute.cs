namespace Tally.Process.Tests;

/// <summary>
/// Runs only when <c>TALLY_TEST_POSTGRES</c> names a PostgreSQL server; skipped otherwise (CI sets it and fails on skips).
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TALLY_TEST_POSTGRES")))
        {
            Skip = "TALLY_TEST_POSTGRES is not set";
        }
    }
}
