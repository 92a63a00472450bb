using System.Globalization;
using Loyalty.Chain.Earning;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

/// <summary>Weekday and hour conditions: local time in the program's zone, windows that wrap past midnight.</summary>
public class RuleScheduleTests
{
    private static DateTime BerlinTime(string local) => TimeZoneInfo.ConvertTimeToUtc(
        DateTime.ParseExact(local, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), Berlin);

    private static RuleOutcome At(DateTime utc, RuleConditions conditions, TimeZoneInfo zone) =>
        Evaluate(Purchase(at: utc), zone, Rule(1, RuleEffect.Fixed(10), conditions)).Single();

    [Fact]
    public void Weekday_IsTheLocalDayInTheProgramZone()
    {
        // Saturday 23:30 UTC is already Sunday 00:30 in Berlin.
        var saturdayNightUtc = new DateTime(2025, 3, 8, 23, 30, 0, DateTimeKind.Utc);
        var sundays = new RuleConditions { Weekdays = [DayOfWeek.Sunday] };

        Assert.True(At(saturdayNightUtc, sundays, Berlin).Fired);
        var inUtc = At(saturdayNightUtc, sundays, TimeZoneInfo.Utc);
        Assert.False(inUtc.Fired);
        Assert.Equal(RuleOutcomeCode.ConditionNotMet, inUtc.Code);
        Assert.Equal("not fired: local day Saturday not in Sunday", inUtc.Reason);
    }

    [Fact]
    public void Weekday_AnyDayInTheList_Fires() =>
        Assert.True(At(Noon, new() { Weekdays = [DayOfWeek.Monday, DayOfWeek.Wednesday] }, Berlin).Fired);

    [Theory]
    [InlineData("2025-03-05 21:59", false)]
    [InlineData("2025-03-05 22:00", true)]
    [InlineData("2025-03-05 23:59", true)]
    [InlineData("2025-03-06 00:00", true)]
    [InlineData("2025-03-06 01:59", true)]
    [InlineData("2025-03-06 02:00", false)]
    [InlineData("2025-03-06 12:00", false)]
    public void HourWindow_WrappingPastMidnight_IncludesFromAndExcludesTo(string berlinLocal, bool fires)
    {
        var outcome = At(BerlinTime(berlinLocal), new() { FromHour = 22, ToHour = 2 }, Berlin);
        Assert.Equal(fires, outcome.Fired);
        if (!fires) Assert.Equal($"not fired: local time {berlinLocal[11..]} outside hours 22:00-02:00", outcome.Reason);
    }

    [Theory]
    [InlineData("2025-03-05 08:59", false)]
    [InlineData("2025-03-05 09:00", true)]
    [InlineData("2025-03-05 16:59", true)]
    [InlineData("2025-03-05 17:00", false)]
    public void HourWindow_WithinOneDay_IncludesFromAndExcludesTo(string berlinLocal, bool fires) =>
        Assert.Equal(fires, At(BerlinTime(berlinLocal), new() { FromHour = 9, ToHour = 17 }, Berlin).Fired);

    [Fact]
    public void HourWindow_IsEvaluatedInTheProgramZone()
    {
        var utc = new DateTime(2025, 3, 5, 13, 30, 0, DateTimeKind.Utc); // 22:30 in Tokyo
        var lateEvening = new RuleConditions { FromHour = 22, ToHour = 2 };
        Assert.True(At(utc, lateEvening, Tokyo).Fired);
        Assert.Equal("not fired: local time 13:30 outside hours 22:00-02:00", At(utc, lateEvening, TimeZoneInfo.Utc).Reason);
    }

    [Theory]
    [InlineData("2025-03-05 17:59", false)]
    [InlineData("2025-03-05 18:00", true)]
    [InlineData("2025-03-05 23:59", true)]
    [InlineData("2025-03-06 00:00", false)]
    public void HourWindow_WithOnlyFromHour_RunsToMidnight(string berlinLocal, bool fires) =>
        Assert.Equal(fires, At(BerlinTime(berlinLocal), new() { FromHour = 18 }, Berlin).Fired);

    [Theory]
    [InlineData("2025-03-05 00:00", true)]
    [InlineData("2025-03-05 08:59", true)]
    [InlineData("2025-03-05 09:00", false)]
    public void HourWindow_WithOnlyToHour_StartsAtMidnight(string berlinLocal, bool fires) =>
        Assert.Equal(fires, At(BerlinTime(berlinLocal), new() { ToHour = 9 }, Berlin).Fired);

    [Fact]
    public void WeekdayWithWrappingHours_AfterMidnightCountsAsTheNextDay()
    {
        // "Friday 22:00-02:00": the hours after midnight are Saturday's, so Friday alone does not cover them.
        var fridayNight = new RuleConditions { Weekdays = [DayOfWeek.Friday], FromHour = 22, ToHour = 2 };
        Assert.True(At(BerlinTime("2025-03-07 23:00"), fridayNight, Berlin).Fired);
        Assert.Equal("not fired: local day Saturday not in Friday", At(BerlinTime("2025-03-08 01:00"), fridayNight, Berlin).Reason);

        var fridayAndSaturday = fridayNight with { Weekdays = [DayOfWeek.Friday, DayOfWeek.Saturday] };
        Assert.True(At(BerlinTime("2025-03-08 01:00"), fridayAndSaturday, Berlin).Fired);
    }

    [Fact]
    public void HourWindow_AcrossDaylightSavingChange_UsesTheLocalWallClock()
    {
        // Berlin moves to UTC+2 on 30 March 2025: 20:30 UTC is 21:30 before and 22:30 after.
        var evening = new RuleConditions { FromHour = 22, ToHour = 23 };
        Assert.False(At(new DateTime(2025, 3, 29, 20, 30, 0, DateTimeKind.Utc), evening, Berlin).Fired);
        Assert.True(At(new DateTime(2025, 3, 30, 20, 30, 0, DateTimeKind.Utc), evening, Berlin).Fired);
    }
}
