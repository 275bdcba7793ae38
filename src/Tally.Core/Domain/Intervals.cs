namespace Tally.Core.Domain;

public enum ResetInterval
{
    OneOff,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    SemiAnnual,
    Year,
}

public static class ResetIntervals
{
    public static string ToWire(this ResetInterval interval) => interval switch
    {
        ResetInterval.OneOff => "one_off",
        ResetInterval.Minute => "minute",
        ResetInterval.Hour => "hour",
        ResetInterval.Day => "day",
        ResetInterval.Week => "week",
        ResetInterval.Month => "month",
        ResetInterval.Quarter => "quarter",
        ResetInterval.SemiAnnual => "semi_annual",
        ResetInterval.Year => "year",
        _ => throw new ArgumentOutOfRangeException(nameof(interval)),
    };

    public static bool TryParse(string? wire, out ResetInterval interval)
    {
        interval = wire switch
        {
            "one_off" => ResetInterval.OneOff,
            "minute" => ResetInterval.Minute,
            "hour" => ResetInterval.Hour,
            "day" => ResetInterval.Day,
            "week" => ResetInterval.Week,
            "month" => ResetInterval.Month,
            "quarter" => ResetInterval.Quarter,
            "semi_annual" => ResetInterval.SemiAnnual,
            "year" => ResetInterval.Year,
            _ => (ResetInterval)(-1),
        };
        return (int)interval >= 0;
    }

    /// <summary>
    /// An approximate length used only to order sources (shorter intervals are drawn first);
    /// calendar arithmetic lives in <see cref="Tally.Core.Engine.Calendar"/>.
    /// </summary>
    public static TimeSpan NominalLength(this ResetInterval interval, int count) => interval switch
    {
        ResetInterval.Minute => TimeSpan.FromMinutes(count),
        ResetInterval.Hour => TimeSpan.FromHours(count),
        ResetInterval.Day => TimeSpan.FromDays(count),
        ResetInterval.Week => TimeSpan.FromDays(7 * count),
        ResetInterval.Month => TimeSpan.FromDays(30 * count),
        ResetInterval.Quarter => TimeSpan.FromDays(91 * count),
        ResetInterval.SemiAnnual => TimeSpan.FromDays(182 * count),
        ResetInterval.Year => TimeSpan.FromDays(365 * count),
        _ => TimeSpan.MaxValue,
    };
}
