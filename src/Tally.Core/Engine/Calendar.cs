using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>Calendar arithmetic in UTC. Month-based steps clamp to the month's last day.</summary>
public static class Calendar
{
    /// <summary>
    /// The boundary <paramref name="steps"/> intervals after <paramref name="anchor"/>. Always computed from the
    /// anchor, never from the previous boundary, so an anchor on the 31st lands on 30 June and then 31 July.
    /// </summary>
    public static DateTimeOffset Add(DateTimeOffset anchor, ResetInterval interval, int count, long steps)
    {
        var utc = anchor.ToUniversalTime();
        var n = checked(count * steps);
        return interval switch
        {
            ResetInterval.Minute => utc.AddMinutes(n),
            ResetInterval.Hour => utc.AddHours(n),
            ResetInterval.Day => utc.AddDays(n),
            ResetInterval.Week => utc.AddDays(7 * n),
            ResetInterval.Month => utc.AddMonths(checked((int)n)),
            ResetInterval.Quarter => utc.AddMonths(checked((int)(3 * n))),
            ResetInterval.SemiAnnual => utc.AddMonths(checked((int)(6 * n))),
            ResetInterval.Year => utc.AddYears(checked((int)n)),
            _ => throw new ArgumentOutOfRangeException(nameof(interval), interval, "one_off never resets"),
        };
    }

    /// <summary>The first boundary strictly after <paramref name="now"/> on the grid anchored at <paramref name="anchor"/>.</summary>
    public static DateTimeOffset NextAfter(DateTimeOffset anchor, ResetInterval interval, int count, DateTimeOffset now)
    {
        if (anchor > now)
        {
            return anchor;
        }
        // Jump close with the nominal length, then walk; keeps a long idle period O(1)-ish.
        var nominal = interval.NominalLength(count);
        var guess = Math.Max(0, (long)((now - anchor).Ticks / nominal.Ticks) - 1);
        var step = guess;
        while (Add(anchor, interval, count, step) > now && step > 0)
        {
            step--;
        }
        while (Add(anchor, interval, count, step) <= now)
        {
            step++;
        }
        return Add(anchor, interval, count, step);
    }
}
