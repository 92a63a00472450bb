using Loyalty.Chain.Analytics;

namespace Loyalty.Chain.Tests.Analytics;

public sealed class AnalyticsMathTests
{
    [Theory]
    [InlineData("2026-12-02", "week", "2026-11-30")] // a Wednesday: its Monday
    [InlineData("2026-11-30", "week", "2026-11-30")]
    [InlineData("2026-12-06", "week", "2026-11-30")] // Sunday ends the week
    [InlineData("2026-12-31", "month", "2026-12-01")]
    [InlineData("2026-12-31", "day", "2026-12-31")]
    public void PeriodStart_IsTheFirstDayOfTheWeekOrMonth(string day, string granularity, string expected) =>
        Assert.Equal(DateOnly.Parse(expected), AnalyticsMath.PeriodStart(DateOnly.Parse(day), granularity));

    [Fact]
    public void Periods_CoverTheRangeOnce_ClippedAtBothEnds()
    {
        var periods = AnalyticsMath.Periods(new DateOnly(2026, 1, 15), new DateOnly(2026, 3, 10), AnalyticsMath.Month);
        Assert.Equal([new DateOnly(2026, 1, 1), new DateOnly(2026, 2, 1), new DateOnly(2026, 3, 1)], periods.Select(p => p.Start));
        Assert.Equal(new DateOnly(2026, 1, 15), periods[0].First);
        Assert.Equal(new DateOnly(2026, 2, 28), periods[1].Last);
        Assert.Equal(new DateOnly(2026, 3, 10), periods[2].Last);
        var weeks = AnalyticsMath.Periods(new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31), AnalyticsMath.Week);
        Assert.Equal(365, weeks.Sum(w => w.Last.DayNumber - w.First.DayNumber + 1));
        Assert.All(weeks.Zip(weeks.Skip(1)), p => Assert.Equal(p.First.Last.AddDays(1), p.Second.First));
    }

    [Fact]
    public void Rate_IsZeroWithNothingToDivideBy_AndExactOtherwise()
    {
        Assert.Equal(0, AnalyticsMath.Rate(5, 0));
        Assert.Equal(0.25, AnalyticsMath.Rate(1, 4));
        Assert.Equal(0.5, AnalyticsMath.Rate(new System.Numerics.BigInteger(1) << 80, new System.Numerics.BigInteger(1) << 81));
    }

    [Fact]
    public void MonthOf_CountsCalendarMonths_AcrossYears()
    {
        Assert.Equal(1, AnalyticsMath.MonthOf(new DateOnly(2027, 1, 1)) - AnalyticsMath.MonthOf(new DateOnly(2026, 12, 31)));
        Assert.Equal("2026-12", AnalyticsMath.MonthLabel(AnalyticsMath.MonthOf(new DateOnly(2026, 12, 2))));
    }
}
