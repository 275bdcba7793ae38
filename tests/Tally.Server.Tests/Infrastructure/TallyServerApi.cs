namespace Tally.Server.Tests.Infrastructure;

/// <summary>The test API over the shared in-process server (Tally.TestKit's <see cref="TallyServer"/>).</summary>
internal static class TallyServerApi
{
    public static TallyApi Api(this TallyServer server, string key) => new(server.Http, key);
}
