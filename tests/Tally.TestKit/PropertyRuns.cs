namespace Tally.TestKit;

/// <summary>
/// How many cases a property or random-walk test runs. By default a quarter of the full count, so a local
/// <c>dotnet test</c> stays quick; <c>TALLY_LONG_TESTS=1</c> (set by <c>.ci/run</c>) runs the full count. Seeds are
/// fixed either way, so the short run is the first part of the long one and both are reproducible.
/// </summary>
public static class PropertyRuns
{
    public const string Variable = "TALLY_LONG_TESTS";

    public static bool Long => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary><paramref name="full"/> under <c>TALLY_LONG_TESTS=1</c>, else a quarter of it (at least one).</summary>
    public static int Count(int full) => Long ? full : Math.Max(1, full / 4);
}
