using System.Security.Cryptography;
using Loyalty.Chain.Leaderboards;

namespace Loyalty.Chain.Tests.Leaderboards;

/// <summary>Leaderboard periods in the program's zone, and pseudonym rules.</summary>
public class LeaderboardRulesTests
{
    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    [Fact]
    public void Periods_AreLocalCalendarRanges_ConvertedToUtc()
    {
        var month = LeaderboardPeriod.Of(LeaderboardPeriodKind.Month, new DateOnly(2031, 3, 15), Paris);
        Assert.Equal(new DateTime(2031, 2, 28, 23, 0, 0), month.FromUtc);   // CET
        Assert.Equal(new DateTime(2031, 3, 31, 22, 0, 0), month.ToUtc);     // CEST after 30 March
        var week = LeaderboardPeriod.Of(LeaderboardPeriodKind.Week, new DateOnly(2031, 3, 16), Paris); // a Sunday
        Assert.Equal(new DateOnly(2031, 3, 10), week.FirstDay);
        Assert.Equal(new DateOnly(2031, 3, 16), week.LastDay);
        var year = LeaderboardPeriod.Of(LeaderboardPeriodKind.Year, new DateOnly(2031, 6, 1), TimeZoneInfo.Utc);
        Assert.Equal(new DateTime(2031, 1, 1), year.FromUtc);
        Assert.Equal(new DateTime(2032, 1, 1), year.ToUtc);
        Assert.Null(LeaderboardPeriod.Of(LeaderboardPeriodKind.All, new DateOnly(2031, 6, 1), Paris).FromUtc);
        Assert.Throws<LoyaltyException>(() => LeaderboardPeriod.Parse("Week"));
    }

    [Theory]
    [InlineData("Bold Otter 42", true)]
    [InlineData("José_the-Barista", true)]
    [InlineData("ab", false)]
    [InlineData("name\n", true)]        // trimmed
    [InlineData("na\nme", false)]
    [InlineData("a@b.example", false)]
    [InlineData("Call 123456", false)]  // 6 digits: phone-like
    [InlineData("cust-42 fan", false)]  // contains the external id
    public void ChosenNames_AreChecked(string name, bool ok)
    {
        string? Check() => LeaderboardNames.Validate(name, ["cust-42", null]);
        if (ok) Assert.Equal(name.Trim(), Check());
        else Assert.Throws<LoyaltyException>(Check);
    }

    [Fact]
    public void GeneratedNames_AreDeterministicPerKeyedHash_AndValidNames()
    {
        var mac = HMACSHA256.HashData("key"u8, "1|2|0"u8);
        Assert.Equal(LeaderboardNames.Generate(mac), LeaderboardNames.Generate(HMACSHA256.HashData("key"u8, "1|2|0"u8)));
        Assert.Matches(@"\A[A-Z][a-z]+ [A-Z][a-z]+ [1-9][0-9]\z", LeaderboardNames.Generate(mac));
        var names = Enumerable.Range(0, 200).Select(i => LeaderboardNames.Generate(HMACSHA256.HashData("key"u8, System.Text.Encoding.UTF8.GetBytes($"1|{i}|0")))).ToList();
        Assert.All(names, n => LeaderboardNames.Validate(n, []));
        Assert.True(names.Distinct().Count() > 150);
    }
}
