using System.Globalization;

namespace Tally.Server.Hosting;

/// <summary>
/// Webhook delivery settings, from configuration: <c>TALLY_WEBHOOK_ALLOW_PRIVATE</c>, <c>TALLY_WEBHOOK_RETRY_SCHEDULE</c>
/// (comma-separated delays such as <c>5s,30s,2m,10m</c>: one retry per entry), <c>TALLY_WEBHOOK_TIMEOUT</c> (per
/// attempt), <c>TALLY_WEBHOOK_POLL_INTERVAL</c>, <c>TALLY_WEBHOOK_FAILING_AFTER</c> and <c>TALLY_WEBHOOK_RETENTION</c>.
/// </summary>
public sealed record WebhookOptions
{
    /// <summary>About 3 days in all, like Svix: early retries catch blips, late ones an outage.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20),
        TimeSpan.FromHours(24),
    ];

    public bool AllowPrivate { get; init; }

    /// <summary>Delay before retry n (after attempt n fails); a failure past the last entry gives up.</summary>
    public IReadOnlyList<TimeSpan> RetrySchedule { get; init; } = DefaultSchedule;

    /// <summary>Each delay is moved by up to this fraction either way, so failed endpoints are not retried in lockstep.</summary>
    public double Jitter { get; init; } = 0.2;

    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A claim lasts longer than an attempt can, so a live node never loses its claim mid-send.</summary>
    public TimeSpan Lease => AttemptTimeout * 2 + TimeSpan.FromSeconds(30);

    public int FailingAfter { get; init; } = 5;

    public int BatchSize { get; init; } = 32;

    /// <summary>Finished deliveries (and their attempts and events) older than this are deleted.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How often the dispatcher prunes; rows only need to go eventually, so this is rare.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows deleted per statement: small enough that a prune never holds the writer for long.</summary>
    public int PruneBatchSize { get; init; } = 500;

    /// <summary>Batches per prune pass; a backlog larger than this is worked off over the following passes.</summary>
    public int PruneBatchesPerPass { get; init; } = 20;

    public static WebhookOptions FromConfiguration(IConfiguration c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var o = new WebhookOptions { AllowPrivate = string.Equals(c["TALLY_WEBHOOK_ALLOW_PRIVATE"], "true", StringComparison.OrdinalIgnoreCase) };
        if (c["TALLY_WEBHOOK_RETRY_SCHEDULE"] is { Length: > 0 } schedule)
        {
            o = o with
            {
                RetrySchedule = [.. schedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => Duration(s, "TALLY_WEBHOOK_RETRY_SCHEDULE"))]
            };
        }
        if (c["TALLY_WEBHOOK_TIMEOUT"] is { Length: > 0 } timeout)
        {
            o = o with { AttemptTimeout = Duration(timeout, "TALLY_WEBHOOK_TIMEOUT") };
        }
        if (c["TALLY_WEBHOOK_POLL_INTERVAL"] is { Length: > 0 } poll)
        {
            o = o with { PollInterval = Duration(poll, "TALLY_WEBHOOK_POLL_INTERVAL") };
        }
        if (c["TALLY_WEBHOOK_RETENTION"] is { Length: > 0 } retention)
        {
            var r = TallyOptions.ParseDuration(retention, "TALLY_WEBHOOK_RETENTION");
            o = o with
            {
                Retention = r > TimeSpan.Zero ? r : throw new TallyConfigurationException("TALLY_WEBHOOK_RETENTION must be longer than zero"),
            };
        }
        if (c["TALLY_WEBHOOK_FAILING_AFTER"] is { Length: > 0 } failing)
        {
            o = o with
            {
                FailingAfter = int.TryParse(failing, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw new TallyConfigurationException("TALLY_WEBHOOK_FAILING_AFTER must be a positive whole number"),
            };
        }
        return o;
    }

    /// <summary>A duration such as <c>250ms</c>, <c>5s</c>, <c>2m</c>, <c>3h</c> or <c>1d</c>.</summary>
    public static TimeSpan Duration(string s, string name)
    {
        ArgumentNullException.ThrowIfNull(s);
        var unit = s.EndsWith("ms", StringComparison.Ordinal) ? "ms" : s.Length > 0 ? s[^1..] : "";
        var number = s[..^unit.Length];
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) || v < 0 || v > 1e9)
        {
            throw new TallyConfigurationException($"{name}: '{s}' is not a duration like 250ms, 5s, 2m, 3h or 1d");
        }
        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(v),
            "s" => TimeSpan.FromSeconds(v),
            "m" => TimeSpan.FromMinutes(v),
            "h" => TimeSpan.FromHours(v),
            "d" => TimeSpan.FromDays(v),
            _ => throw new TallyConfigurationException($"{name}: '{s}' is not a duration like 250ms, 5s, 2m, 3h or 1d"),
        };
    }
}
