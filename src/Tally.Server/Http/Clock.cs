using Tally.Core.Domain;

namespace Tally.Server.Http;

/// <summary>The server's time: the injected provider, or a customer's test clock when it has one.</summary>
public sealed class Clock(TimeProvider time)
{
    public DateTimeOffset Now => time.GetUtcNow();

    public DateTimeOffset NowFor(Customer? customer) => customer is null ? time.GetUtcNow() : customer.NowAt(time.GetUtcNow());
}
