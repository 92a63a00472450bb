using Loyalty.Chain.Earning;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

/// <summary>Limits against a usage snapshot (loading the snapshot from the database is in <see cref="RuleStorageTests"/>).</summary>
public class RuleLimitTests
{
    private static RuleOutcome Run(RuleLimits limits, RuleUsage usage, long amount = 4990) =>
        RuleEvaluator.Evaluate(Purchase(amount: amount), [Rule(7, RuleEffect.PerCurrencyUnit(5), limits: limits)], usage, TimeZoneInfo.Utc).Single();

    [Fact]
    public void DailyLimit_WithRoomLeft_AwardsInFull()
    {
        var outcome = Run(new() { PerMemberPerDay = 1000 }, Usage(7, today: 751));
        Assert.Equal(249, outcome.Points);
        Assert.Equal(RuleOutcomeCode.Fired, outcome.Code);
    }

    [Fact]
    public void DailyLimit_ClipsTheAwardToWhatRemainsToday()
    {
        var outcome = Run(new() { PerMemberPerDay = 100 }, Usage(7, today: 80, month: 500, total: 9000));
        Assert.True(outcome.Fired);
        Assert.Equal(20, outcome.Points);
        Assert.Equal(RuleOutcomeCode.Clipped, outcome.Code);
        Assert.Equal("5 points per 1.00 EUR on 49.90 EUR = 249 (floor); clipped to 20 by daily limit 100 (80 already awarded today)", outcome.Reason);
    }

    [Fact]
    public void DailyLimit_Reached_DoesNotFire()
    {
        var outcome = Run(new() { PerMemberPerDay = 100 }, Usage(7, today: 100));
        Assert.False(outcome.Fired);
        Assert.Equal(0, outcome.Points);
        Assert.Equal(RuleOutcomeCode.LimitReached, outcome.Code);
        Assert.StartsWith("not fired: daily limit 100 reached (100 already awarded today)", outcome.Reason);
    }

    [Fact]
    public void DailyLimit_AlreadyExceeded_CountsAsReached() =>
        Assert.Equal(RuleOutcomeCode.LimitReached, Run(new() { PerMemberPerDay = 100 }, Usage(7, today: 150)).Code);

    [Fact]
    public void MonthlyLimit_ClipsTheAwardToWhatRemainsThisMonth()
    {
        var outcome = Run(new() { PerMemberPerMonth = 1000 }, Usage(7, today: 0, month: 900));
        Assert.Equal(100, outcome.Points);
        Assert.EndsWith("clipped to 100 by monthly limit 1000 (900 already awarded this month)", outcome.Reason);
    }

    [Fact]
    public void MonthlyLimit_Reached_DoesNotFire() =>
        Assert.StartsWith("not fired: monthly limit 1000 reached (1000 already awarded this month)",
            Run(new() { PerMemberPerMonth = 1000 }, Usage(7, month: 1000)).Reason);

    [Fact]
    public void Budget_ClipsTheAwardToWhatRemainsOfTheCampaign()
    {
        var outcome = Run(new() { Budget = 10_000 }, Usage(7, total: 9_950));
        Assert.Equal(50, outcome.Points);
        Assert.EndsWith("clipped to 50 by campaign budget 10000 (9950 already awarded)", outcome.Reason);
    }

    [Fact]
    public void Budget_Exhausted_DoesNotFire()
    {
        var outcome = Run(new() { Budget = 10_000 }, Usage(7, total: 10_000));
        Assert.False(outcome.Fired);
        Assert.Equal(RuleOutcomeCode.LimitReached, outcome.Code);
        Assert.StartsWith("not fired: campaign budget 10000 exhausted (10000 already awarded)", outcome.Reason);
    }

    [Fact]
    public void SeveralLimits_TheOneWithLeastLeftClips()
    {
        var limits = new RuleLimits { PerMemberPerDay = 500, PerMemberPerMonth = 1000, Budget = 100_000 };
        Assert.Equal(30, Run(limits, Usage(7, today: 0, month: 970, total: 50_000)).Points);
        Assert.Contains("monthly limit", Run(limits, Usage(7, today: 0, month: 970, total: 50_000)).Reason);
        Assert.Equal(10, Run(limits, Usage(7, today: 0, month: 0, total: 99_990)).Points);
        Assert.Equal(5, Run(limits, Usage(7, today: 495, month: 495, total: 99_000)).Points);
    }

    [Fact]
    public void UsageOfOtherRules_DoesNotCount() =>
        Assert.Equal(249, Run(new() { PerMemberPerDay = 1000 }, Usage(8, today: 1000)).Points);

    [Fact]
    public void LimitOfZero_NeverFires() =>
        Assert.Equal(RuleOutcomeCode.LimitReached, Run(new() { Budget = 0 }, RuleUsage.None).Code);

    [Fact]
    public void Limit_BringsAHugeAwardBackIntoRange()
    {
        var rule = Rule(1, RuleEffect.PerCurrencyUnit(long.MaxValue, perMinorUnits: 1), limits: new() { Budget = 1_000 });
        Assert.Equal(1_000, RuleEvaluator.Evaluate(Purchase(amount: 4990), [rule], RuleUsage.None, TimeZoneInfo.Utc).TotalPoints);
    }

    [Fact]
    public void MultiplierLimits_ClipItsExtraPointsOnly()
    {
        var usage = Usage(2, total: 4_950);
        var result = RuleEvaluator.Evaluate(Purchase(),
            [Rule(1, RuleEffect.Fixed(300)), Rule(2, RuleEffect.Multiplier(2), limits: new() { Budget = 5_000 })], usage, TimeZoneInfo.Utc);
        Assert.Equal(300, result.BasePoints);
        Assert.Equal(50, result.For(2).Points);
        Assert.Equal(350, result.TotalPoints);
        Assert.Equal("2x on 300 base points = +300 (floor); clipped to 50 by campaign budget 5000 (4950 already awarded)", result.For(2).Reason);
    }

    [Fact]
    public void Multiplier_WorksOnTheBaseAfterItsLimits()
    {
        var result = RuleEvaluator.Evaluate(Purchase(),
            [Rule(1, RuleEffect.Fixed(300), limits: new() { PerMemberPerDay = 100 }), Rule(2, RuleEffect.Multiplier(2))],
            Usage(1, today: 60), TimeZoneInfo.Utc);
        Assert.Equal(40, result.BasePoints);
        Assert.Equal(80, result.TotalPoints);
    }

    [Fact]
    public void ExclusiveRuleHeldToZeroByItsLimit_BlocksNothing()
    {
        var result = RuleEvaluator.Evaluate(Purchase(),
            [Rule(1, RuleEffect.Fixed(500), limits: new() { Budget = 1000 }, stacking: RuleStacking.Exclusive), Rule(2, RuleEffect.Fixed(10), priority: 5)],
            Usage(1, total: 1000), TimeZoneInfo.Utc);
        Assert.Equal(RuleOutcomeCode.LimitReached, result.For(1).Code);
        Assert.True(result.For(2).Fired);
        Assert.Equal(10, result.TotalPoints);
    }

    [Fact]
    public void ClippedExclusiveRule_StillBlocks()
    {
        var result = RuleEvaluator.Evaluate(Purchase(),
            [Rule(1, RuleEffect.Fixed(500), limits: new() { Budget = 1000 }, stacking: RuleStacking.Exclusive), Rule(2, RuleEffect.Fixed(10), priority: 5)],
            Usage(1, total: 990), TimeZoneInfo.Utc);
        Assert.Equal(10, result.For(1).Points);
        Assert.Equal(RuleOutcomeCode.Blocked, result.For(2).Code);
    }
}
