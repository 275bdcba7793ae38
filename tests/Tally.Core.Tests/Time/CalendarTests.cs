using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>Calendar.Add and Calendar.NextAfter: UTC arithmetic, month-end clamping from the anchor, boundaries.</summary>
public sealed class CalendarTests
{
    private static readonly DateTimeOffset Anchor = Utc(2026, 3, 10, 12, 30, 15);

    public static TheoryData<ResetInterval, int, DateTimeOffset> OneStep => new()
    {
        { ResetInterval.Minute, 1, Utc(2026, 3, 10, 12, 31, 15) },
        { ResetInterval.Minute, 90, Utc(2026, 3, 10, 14, 0, 15) },
        { ResetInterval.Hour, 1, Utc(2026, 3, 10, 13, 30, 15) },
        { ResetInterval.Hour, 36, Utc(2026, 3, 12, 0, 30, 15) },
        { ResetInterval.Day, 1, Utc(2026, 3, 11, 12, 30, 15) },
        { ResetInterval.Day, 30, Utc(2026, 4, 9, 12, 30, 15) },
        { ResetInterval.Week, 1, Utc(2026, 3, 17, 12, 30, 15) },
        { ResetInterval.Week, 3, Utc(2026, 3, 31, 12, 30, 15) },
        { ResetInterval.Month, 1, Utc(2026, 4, 10, 12, 30, 15) },
        { ResetInterval.Month, 11, Utc(2027, 2, 10, 12, 30, 15) },
        { ResetInterval.Quarter, 1, Utc(2026, 6, 10, 12, 30, 15) },
        { ResetInterval.Quarter, 2, Utc(2026, 9, 10, 12, 30, 15) },
        { ResetInterval.SemiAnnual, 1, Utc(2026, 9, 10, 12, 30, 15) },
        { ResetInterval.SemiAnnual, 3, Utc(2027, 9, 10, 12, 30, 15) },
        { ResetInterval.Year, 1, Utc(2027, 3, 10, 12, 30, 15) },
        { ResetInterval.Year, 5, Utc(2031, 3, 10, 12, 30, 15) },
    };

    [Theory]
    [MemberData(nameof(OneStep))]
    public void Add_OneStep_EveryIntervalAndCount(ResetInterval interval, int count, DateTimeOffset expected)
    {
        Assert.Equal(expected, Calendar.Add(Anchor, interval, count, 1));
        Assert.Equal(TimeSpan.Zero, Calendar.Add(Anchor, interval, count, 1).Offset);
    }

    [Theory]
    [MemberData(nameof(OneStep))]
    public void NextAfter_FromTheAnchorItself_IsOneStep(ResetInterval interval, int count, DateTimeOffset expected)
    {
        Assert.Equal(expected, Calendar.NextAfter(Anchor, interval, count, Anchor));
        Assert.Equal(expected, Calendar.NextAfter(Anchor, interval, count, expected.AddTicks(-1)));
    }

    [Theory]
    [MemberData(nameof(OneStep))]
    public void NextAfter_NowExactlyOnABoundary_IsTheFollowingBoundary(ResetInterval interval, int count, DateTimeOffset first)
    {
        // A boundary equal to now has been reached (it is due); the next one is strictly after now.
        Assert.Equal(Calendar.Add(Anchor, interval, count, 2), Calendar.NextAfter(Anchor, interval, count, first));
        Assert.Equal(Calendar.Add(Anchor, interval, count, 2), Calendar.NextAfter(Anchor, interval, count, first.AddTicks(1)));
    }

    [Fact]
    public void Add_Steps_MultiplyTheCount()
    {
        Assert.Equal(Utc(2026, 3, 10, 13, 0, 15), Calendar.Add(Anchor, ResetInterval.Minute, 15, 2));
        Assert.Equal(Utc(2026, 3, 31, 12, 30, 15), Calendar.Add(Anchor, ResetInterval.Week, 1, 3));
        Assert.Equal(Utc(2027, 9, 10, 12, 30, 15), Calendar.Add(Anchor, ResetInterval.Quarter, 2, 3));
        Assert.Equal(Anchor, Calendar.Add(Anchor, ResetInterval.Year, 3, 0));
    }

    [Fact]
    public void Add_OneOff_NeverResets()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Calendar.Add(Anchor, ResetInterval.OneOff, 1, 1));
    }

    [Fact]
    public void Add_AnchorOn31January_ClampsToFebruaryThenReturnsTo31()
    {
        var anchor = Utc(2026, 1, 31, 9);

        Assert.Equal(Utc(2026, 2, 28, 9), Calendar.Add(anchor, ResetInterval.Month, 1, 1));
        Assert.Equal(Utc(2026, 3, 31, 9), Calendar.Add(anchor, ResetInterval.Month, 1, 2));
        Assert.Equal(Utc(2026, 4, 30, 9), Calendar.Add(anchor, ResetInterval.Month, 1, 3));
        Assert.Equal(Utc(2026, 5, 31, 9), Calendar.Add(anchor, ResetInterval.Month, 1, 4));
    }

    [Fact]
    public void Add_AnchorOn31January_LeapYearFebruaryIs29()
    {
        var anchor = Utc(2028, 1, 31);

        Assert.Equal(Utc(2028, 2, 29), Calendar.Add(anchor, ResetInterval.Month, 1, 1));
        Assert.Equal(Utc(2028, 3, 31), Calendar.Add(anchor, ResetInterval.Month, 1, 2));
    }

    [Fact]
    public void NextAfter_AnchorOn31May_June30ThenJuly31()
    {
        var anchor = Utc(2026, 5, 31, 8);

        var june = Calendar.NextAfter(anchor, ResetInterval.Month, 1, Utc(2026, 6, 1));
        var july = Calendar.NextAfter(anchor, ResetInterval.Month, 1, june);
        var august = Calendar.NextAfter(anchor, ResetInterval.Month, 1, july);

        Assert.Equal(Utc(2026, 6, 30, 8), june);
        // From the anchor, not from the previous boundary: 30 June + 1 month would be 30 July.
        Assert.Equal(Utc(2026, 7, 31, 8), july);
        Assert.Equal(Utc(2026, 8, 31, 8), august);
    }

    [Fact]
    public void NextAfter_QuarterAndSemiAnnualFromMonthEnd_ClampThenRealign()
    {
        var nov30 = Utc(2025, 11, 30);
        Assert.Equal(Utc(2026, 2, 28), Calendar.NextAfter(nov30, ResetInterval.Quarter, 1, nov30));
        Assert.Equal(Utc(2026, 5, 30), Calendar.NextAfter(nov30, ResetInterval.Quarter, 1, Utc(2026, 2, 28)));

        var aug31 = Utc(2025, 8, 31);
        Assert.Equal(Utc(2026, 2, 28), Calendar.NextAfter(aug31, ResetInterval.SemiAnnual, 1, aug31));
        Assert.Equal(Utc(2026, 8, 31), Calendar.NextAfter(aug31, ResetInterval.SemiAnnual, 1, Utc(2026, 2, 28)));
    }

    [Fact]
    public void Add_Year_From29February_Clamps_AndReturnsOnTheNextLeapYear()
    {
        var anchor = Utc(2028, 2, 29, 6);

        Assert.Equal(Utc(2029, 2, 28, 6), Calendar.Add(anchor, ResetInterval.Year, 1, 1));
        Assert.Equal(Utc(2031, 2, 28, 6), Calendar.Add(anchor, ResetInterval.Year, 1, 3));
        Assert.Equal(Utc(2032, 2, 29, 6), Calendar.Add(anchor, ResetInterval.Year, 1, 4));
        Assert.Equal(Utc(2032, 2, 29, 6), Calendar.NextAfter(anchor, ResetInterval.Year, 1, Utc(2031, 2, 28, 6)));
    }

    [Fact]
    public void Add_DayAndWeek_CrossLeapDay()
    {
        Assert.Equal(Utc(2028, 2, 29), Calendar.Add(Utc(2028, 2, 28), ResetInterval.Day, 1, 1));
        Assert.Equal(Utc(2028, 3, 1), Calendar.Add(Utc(2028, 2, 28), ResetInterval.Day, 1, 2));
        Assert.Equal(Utc(2028, 3, 6), Calendar.Add(Utc(2028, 2, 28), ResetInterval.Week, 1, 1));
        Assert.Equal(Utc(2027, 3, 7), Calendar.Add(Utc(2027, 2, 28), ResetInterval.Week, 1, 1));
    }

    [Fact]
    public void Add_IsInUtc_WhateverTheAnchorOffset()
    {
        // 31 Jan 22:00 at −05:00 is 1 Feb 03:00 UTC; a month later is 1 March 03:00 UTC, not a clamped 28 Feb.
        var anchor = new DateTimeOffset(2026, 1, 31, 22, 0, 0, TimeSpan.FromHours(-5));

        var next = Calendar.Add(anchor, ResetInterval.Month, 1, 1);

        Assert.Equal(Utc(2026, 3, 1, 3), next);
        Assert.Equal(TimeSpan.Zero, next.Offset);
    }

    [Fact]
    public void NextAfter_AnchorInTheFuture_IsTheAnchor()
    {
        var anchor = Utc(2026, 5, 1);

        Assert.Equal(anchor, Calendar.NextAfter(anchor, ResetInterval.Month, 1, Utc(2026, 4, 30, 23, 59, 59)));
    }

    [Fact]
    public void NextAfter_LongIdle_LandsOnTheAnchorGrid()
    {
        var anchor = Utc(2020, 1, 31, 10);

        // Ten years and a bit later: the nominal 30-day guess overshoots; the walk must come back to the grid.
        Assert.Equal(Utc(2030, 2, 28, 10), Calendar.NextAfter(anchor, ResetInterval.Month, 1, Utc(2030, 2, 1)));
        Assert.Equal(Utc(2030, 3, 31, 10), Calendar.NextAfter(anchor, ResetInterval.Month, 1, Utc(2030, 2, 28, 10)));
        Assert.Equal(Utc(2030, 7, 31, 10), Calendar.NextAfter(anchor, ResetInterval.Quarter, 2, Utc(2030, 2, 1)));
        Assert.Equal(Utc(2030, 1, 31, 10), Calendar.NextAfter(anchor, ResetInterval.Year, 1, Utc(2029, 12, 31)));
        Assert.Equal(Utc(2030, 1, 1, 0, 1), Calendar.NextAfter(Utc(2020, 1, 1), ResetInterval.Minute, 1, Utc(2030, 1, 1)));
    }

    [Fact]
    public void NextAfter_AgreesWithStepping_ForManyNows()
    {
        var anchor = Utc(2024, 1, 31, 23, 59, 59);
        var intervals = new[]
        {
            ResetInterval.Minute, ResetInterval.Hour, ResetInterval.Day, ResetInterval.Week,
            ResetInterval.Month, ResetInterval.Quarter, ResetInterval.SemiAnnual, ResetInterval.Year,
        };
        var rnd = new Random(20260310);
        foreach (var interval in intervals)
        {
            foreach (var count in new[] { 1, 2, 7 })
            {
                var span = interval.NominalLength(count).Ticks * 40;
                for (var i = 0; i < 25; i++)
                {
                    var now = anchor.AddTicks((long)(rnd.NextDouble() * span));
                    long k = 0;
                    while (Calendar.Add(anchor, interval, count, k) <= now)
                    {
                        k++;
                    }
                    Assert.Equal(Calendar.Add(anchor, interval, count, k), Calendar.NextAfter(anchor, interval, count, now));
                }
            }
        }
    }
}
