namespace Tally.Client.Tests;

/// <summary>Clients of the shared in-process server (Tally.TestKit's <see cref="TallyServer"/>).</summary>
public static class TallyServerClients
{
    /// <summary>A client over the in-process server, as an application would inject it.</summary>
    public static TallyClient NewClient(this TallyServer server, Action<TallyClientOptions>? configure = null)
    {
        var http = server.CreateClient();
        var options = new TallyClientOptions { BaseUrl = http.BaseAddress, SecretKey = TallyServer.SecretKey };
        configure?.Invoke(options);
        return new TallyClient(http, options);
    }
}
