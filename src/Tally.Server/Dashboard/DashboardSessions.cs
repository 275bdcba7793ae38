using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Tally.Core.Domain;

namespace Tally.Server.Dashboard;

/// <summary>
/// One signed-in browser: the cookie carries only a random token; the session keeps the hash of the key that signed in
/// (so a revoked key ends its sessions on the next page) and the CSRF token every form of the session must echo.
/// </summary>
internal sealed class DashboardSession(string token, string keyHash, TenantId tenant, DateTimeOffset now)
{
    public string Token { get; } = token;
    public string KeyHash { get; } = keyHash;
    public TenantId Tenant { get; } = tenant;
    public string Csrf { get; } = DashboardSessions.NewToken();
    public DateTimeOffset CreatedAt { get; } = now;
    private long _lastSeenTicks = now.UtcTicks;

    public DateTimeOffset LastSeen => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastSeenTicks, now.UtcTicks);

    public bool CsrfMatches(string? presented) => DashboardSessions.SameToken(Csrf, presented);
}

/// <summary>
/// The server-side session store: bounded (at most <see cref="MaxSessions"/>; the least recently seen session makes
/// room), idle sessions end after <see cref="IdleTimeout"/> and every session after <see cref="MaxAge"/>.
/// </summary>
internal sealed class DashboardSessions(TimeProvider time)
{
    public const int MaxSessions = 1_000;
    public const string Cookie = "tally_dashboard";
    public const string SignInCookie = "tally_dashboard_signin";
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(2);
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(12);

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count => _sessions.Count;

    public DashboardSession Create(string keyHash, TenantId tenant)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var expired in _sessions.Values.Where(s => !Alive(s, now)).ToList())
            {
                _sessions.TryRemove(expired.Token, out _);
            }
            while (_sessions.Count >= MaxSessions && _sessions.Values.MinBy(s => s.LastSeen) is { } oldest)
            {
                _sessions.TryRemove(oldest.Token, out _);
            }
            var session = new DashboardSession(NewToken(), keyHash, tenant, now);
            _sessions[session.Token] = session;
            return session;
        }
    }

    /// <summary>The live session this cookie names, or null (an expired one is removed on the way).</summary>
    public DashboardSession? Find(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100 || !_sessions.TryGetValue(token, out var session))
        {
            return null;
        }
        var now = time.GetUtcNow();
        if (!Alive(session, now))
        {
            _sessions.TryRemove(token, out _);
            return null;
        }
        session.Touch(now);
        return session;
    }

    public void Remove(string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            _sessions.TryRemove(token, out _);
        }
    }

    private static bool Alive(DashboardSession s, DateTimeOffset now) => now - s.CreatedAt < MaxAge && now - s.LastSeen < IdleTimeout;

    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool SameToken(string expected, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
}
