using Loyalty.Chain.Tiers;

namespace Loyalty.Chain.Tests.Tiers;

/// <summary>The pure tier core: windows in the program's zone, qualification, period ends, one_down, grace, effective tier.</summary>
public class TierEvaluatorTests
{
    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private static TierPolicy Policy(string window = TierNames.CalendarYear, string downgrade = TierNames.AtPeriodEnd, int? months = null, int grace = 0) => new()
    {
        Metric = TierNames.PointsEarned, Window = window, WindowMonths = months, Downgrade = downgrade, GraceDays = grace,
        Levels =
        [
            new TierLevel { Name = "Bronze", Threshold = 10 }, new TierLevel { Name = "Silver", Threshold = 100 },
            new TierLevel { Name = "Gold", Threshold = 500 }, new TierLevel { Name = "VIP", InvitationOnly = true },
        ],
    };

    private static TierBucket B(int month, long points) => new() { Month = month, Points = points };

    [Fact]
    public void AnEventAtTwentyThreeThirtyUtcOnDecember31_CountsInJanuary_InParis()
    {
        Assert.Equal(202701, TierEvaluator.MonthKey(new DateTime(2026, 12, 31, 23, 30, 0, DateTimeKind.Utc), Paris));
        Assert.Equal(202612, TierEvaluator.MonthKey(new DateTime(2026, 12, 31, 22, 30, 0, DateTimeKind.Utc), Paris));
    }

    [Fact]
    public void Windows_AreSumsOfMonthlyBuckets()
    {
        var buckets = new[] { B(202511, 1000), B(202601, 100), B(202603, 50), B(202605, 7) };
        var at = new DateTime(2026, 5, 15, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(1157, TierEvaluator.Value(Policy(TierNames.Lifetime), buckets, TierEvaluator.Window(Policy(TierNames.Lifetime), at, Paris)));
        Assert.Equal(157, TierEvaluator.Value(Policy(), buckets, TierEvaluator.Window(Policy(), at, Paris)));
        var rolling = Policy(TierNames.RollingMonths, months: 3);
        Assert.Equal((202603, 202605), TierEvaluator.Window(rolling, at, Paris));
        Assert.Equal(57, TierEvaluator.Value(rolling, buckets, TierEvaluator.Window(rolling, at, Paris)));
        Assert.Equal(202511, TierEvaluator.AddMonths(202601, -2));
    }

    [Fact]
    public void InvitationOnlyLevels_NeverQualifyByThreshold()
    {
        Assert.Equal(2, TierEvaluator.Qualified(Policy(), long.MaxValue));
        Assert.Equal(-1, TierEvaluator.Qualified(Policy(), 9));
    }

    [Fact]
    public void CalendarYear_PeriodEndsAtTheNextLocalNewYear_AndDropsSeveralLevels_OrOneWithOneDown()
    {
        var reached = new DateTime(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var end = new DateTime(2026, 12, 31, 23, 0, 0, DateTimeKind.Utc); // 2027-01-01 00:00 in Paris
        foreach (var (downgrade, expected) in new[] { (TierNames.AtPeriodEnd, "Bronze"), (TierNames.OneDown, "Silver") })
        {
            var p = Policy(downgrade: downgrade);
            var s = new MemberTierState();
            Assert.True(TierEvaluator.Upgrade(p, s, [B(202603, 600)], reached, Paris));
            Assert.Equal(end, s.PeriodEnd);
            var buckets = new[] { B(202603, 600), B(202702, 20) };
            // 2026 qualified Gold: kept through 2027.
            Assert.Null(TierEvaluator.Due(p, s, buckets, end.AddHours(1), Paris));
            Assert.Equal("Gold", s.Earned);
            Assert.Equal(new DateTime(2027, 12, 31, 23, 0, 0, DateTimeKind.Utc), s.PeriodEnd);
            Assert.NotNull(TierEvaluator.Due(p, s, buckets, s.PeriodEnd!.Value.AddHours(1), Paris));
            Assert.Equal(expected, s.Earned);
        }
    }

    [Fact]
    public void Grace_DelaysTheDowngrade_AndARequalificationDuringItKeepsTheLevel()
    {
        var p = Policy(TierNames.RollingMonths, months: 2, grace: 10);
        var reached = new DateTime(2026, 1, 10, 12, 0, 0, DateTimeKind.Utc);
        var s = new MemberTierState();
        TierEvaluator.Upgrade(p, s, [B(202601, 600)], reached, Paris);
        var end = s.PeriodEnd!.Value;
        Assert.Null(TierEvaluator.Due(p, s, [B(202601, 600)], end.AddHours(1), Paris));
        Assert.Equal(end.AddDays(10), s.GraceUntil);
        Assert.Equal("Gold", s.Earned);
        var kept = new MemberTierState { Earned = s.Earned, PeriodEnd = s.PeriodEnd, GraceUntil = s.GraceUntil };
        Assert.Equal("downgrade_after_grace", TierEvaluator.Due(p, s, [B(202601, 600)], end.AddDays(11), Paris));
        Assert.Null(s.Earned);
        Assert.Null(TierEvaluator.Due(p, kept, [B(202601, 600), B(202603, 500)], end.AddDays(11), Paris));
        Assert.Equal("Gold", kept.Earned);
    }

    [Fact]
    public void Never_KeepsTheEarnedLevel()
    {
        var p = Policy(downgrade: TierNames.Never);
        var s = new MemberTierState();
        TierEvaluator.Upgrade(p, s, [B(202601, 600)], new DateTime(2026, 1, 10, 0, 0, 0, DateTimeKind.Utc), Paris);
        Assert.Null(s.PeriodEnd);
        Assert.Null(TierEvaluator.Due(p, s, [], new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc), Paris));
        Assert.Equal("Gold", s.Earned);
    }

    [Fact]
    public void Effective_IsTheHighestOfEarnedInvitedAndARunningMembership()
    {
        var now = new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var p = Policy();
        Assert.Equal(("VIP", "invited"), TierEvaluator.Effective(p, new MemberTierState { Earned = "Gold", Invited = "VIP" }, now));
        Assert.Equal(("Gold", "purchased"), TierEvaluator.Effective(p, new MemberTierState { Earned = "Bronze", Purchased = "Gold", PurchasedUntil = now.AddDays(1) }, now));
        Assert.Equal(("Bronze", "earned"), TierEvaluator.Effective(p, new MemberTierState { Earned = "Bronze", Purchased = "Gold", PurchasedUntil = now }, now));
        Assert.Equal((null, "earned"), TierEvaluator.Effective(p, new MemberTierState(), now));
    }

    [Fact]
    public void Multiplier_FloorsAndIsChecked()
    {
        Assert.Equal(61, TierEvaluator.ApplyMultiplier(41, 150));
        Assert.Equal(41, TierEvaluator.ApplyMultiplier(41, 100));
        Assert.Throws<OverflowException>(() => TierEvaluator.ApplyMultiplier(long.MaxValue / 2, 1000));
    }
}
