namespace Tally.Server.Tests.Infrastructure;

public static class ServerProcessApi
{
    /// <summary>The typed test API over a real server process.</summary>
    public static TallyApi Api(this ServerProcess server, string key) => new(server.Http, key);
}
