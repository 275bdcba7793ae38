namespace Tally.TestKit;

/// <summary>
/// A PostgreSQL-only test: skipped when <c>TALLY_TEST_POSTGRES</c> is not set (CI sets it and fails on skips).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.AdminConnectionString is null)
        {
            Skip = PostgresServer.SkipReason;
        }
    }
}
