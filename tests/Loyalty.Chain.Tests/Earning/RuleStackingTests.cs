using Loyalty.Chain.Earning;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

public class RuleStackingTests
{
    [Fact]
    public void Rules_RunByPriorityLowestFirst()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(1), priority: 30), Rule(2, RuleEffect.Fixed(2), priority: 10), Rule(3, RuleEffect.Fixed(3), priority: 20));
        Assert.Equal([2L, 3L, 1L], result.Outcomes.Select(o => o.RuleId));
        Assert.Equal(6, result.TotalPoints);
    }

    [Fact]
    public void PriorityTie_IsBrokenById()
    {
        var result = Evaluate(Purchase(), Rule(9, RuleEffect.Fixed(1), priority: 5), Rule(4, RuleEffect.Fixed(1), priority: 5), Rule(6, RuleEffect.Fixed(1), priority: 5));
        Assert.Equal([4L, 6L, 9L], result.Outcomes.Select(o => o.RuleId));
    }

    [Fact]
    public void Outcomes_ListBaseRulesFirstThenMultipliers()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Multiplier(2), priority: 0), Rule(2, RuleEffect.Fixed(10), priority: 50));
        Assert.Equal([2L, 1L], result.Outcomes.Select(o => o.RuleId));
        Assert.Equal(20, result.TotalPoints);
    }

    [Fact]
    public void ExclusiveBaseRule_BlocksLowerPriorityBaseRules()
    {
        var result = Evaluate(Purchase(),
            Rule(1, RuleEffect.Fixed(100), priority: 1, stacking: RuleStacking.Exclusive),
            Rule(2, RuleEffect.Fixed(10), priority: 2),
            Rule(3, RuleEffect.Fixed(5), priority: 3, stacking: RuleStacking.Exclusive));
        Assert.Equal(100, result.TotalPoints);
        Assert.Equal("not fired: blocked by exclusive rule #1", result.For(2).Reason);
        Assert.Equal(RuleOutcomeCode.Blocked, result.For(3).Code);
    }

    [Fact]
    public void ExclusiveBaseRule_OnAPriorityTie_BlocksOnlyHigherIds()
    {
        var result = Evaluate(Purchase(),
            Rule(5, RuleEffect.Fixed(10), priority: 1),
            Rule(6, RuleEffect.Fixed(100), priority: 1, stacking: RuleStacking.Exclusive),
            Rule(7, RuleEffect.Fixed(1), priority: 1));
        Assert.True(result.For(5).Fired);
        Assert.Equal("not fired: blocked by exclusive rule #6", result.For(7).Reason);
        Assert.Equal(110, result.TotalPoints);
    }

    [Fact]
    public void ExclusiveBaseRule_KeepsThePointsOfRulesThatRanBeforeIt()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(10), priority: 1), Rule(2, RuleEffect.Fixed(100), priority: 2, stacking: RuleStacking.Exclusive));
        Assert.Equal(110, result.TotalPoints);
    }

    [Fact]
    public void ExclusiveBaseRule_WhoseConditionsFail_BlocksNothing()
    {
        var result = Evaluate(Purchase(tier: "silver"),
            Rule(1, RuleEffect.Fixed(100), new() { Tiers = ["gold"] }, priority: 1, stacking: RuleStacking.Exclusive),
            Rule(2, RuleEffect.Fixed(10), priority: 2));
        Assert.Equal(10, result.TotalPoints);
    }

    [Fact]
    public void BlockedRule_WhoseConditionsFail_ReportsTheCondition()
    {
        var result = Evaluate(Purchase(tier: "silver"),
            Rule(1, RuleEffect.Fixed(100), priority: 1, stacking: RuleStacking.Exclusive),
            Rule(2, RuleEffect.Fixed(10), new() { Tiers = ["gold"] }, priority: 2));
        Assert.Equal(RuleOutcomeCode.ConditionNotMet, result.For(2).Code);
    }

    [Fact]
    public void ExclusiveBaseRule_DoesNotBlockMultipliers()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(100), priority: 1, stacking: RuleStacking.Exclusive), Rule(2, RuleEffect.Multiplier(2), priority: 9));
        Assert.Equal(200, result.TotalPoints);
    }

    [Fact]
    public void ExclusiveMultiplier_BlocksLowerPriorityMultipliersOnly()
    {
        var result = Evaluate(Purchase(),
            Rule(1, RuleEffect.Fixed(100), priority: 50),
            Rule(2, RuleEffect.Multiplier(3), priority: 1, stacking: RuleStacking.Exclusive),
            Rule(3, RuleEffect.Multiplier(2), priority: 2),
            Rule(4, RuleEffect.Fixed(10), priority: 60));
        Assert.Equal(110, result.BasePoints);
        Assert.Equal(110 + 220, result.TotalPoints);
        Assert.Equal("not fired: blocked by exclusive rule #2", result.For(3).Reason);
    }

    [Fact]
    public void ExclusiveMultiplier_AfterAStackingOne_AddsToIt()
    {
        var result = Evaluate(Purchase(),
            Rule(1, RuleEffect.Fixed(100)),
            Rule(2, RuleEffect.Multiplier(2), priority: 1),
            Rule(3, RuleEffect.Multiplier(3, 2), priority: 2, stacking: RuleStacking.Exclusive),
            Rule(4, RuleEffect.Multiplier(5), priority: 3));
        Assert.Equal(250, result.TotalPoints);
        Assert.Equal(RuleOutcomeCode.Blocked, result.For(4).Code);
    }

    [Fact]
    public void ExclusiveMultiplierWithNoBase_BlocksNothing()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Multiplier(3), stacking: RuleStacking.Exclusive), Rule(2, RuleEffect.Multiplier(2), priority: 1));
        Assert.All(result.Outcomes, o => Assert.Equal(RuleOutcomeCode.NoPoints, o.Code));
    }

    [Fact]
    public void SameInputInAnyOrder_GivesIdenticalResults()
    {
        var e = Purchase(amount: 12345, tier: "gold", lines: [new("A", "shoes", 10000, 1), new("B", "food", 2345, 1)]);
        var rules = new List<EarningRule>
        {
            Rule(1, RuleEffect.PerCurrencyUnit(1), priority: 10),
            Rule(2, RuleEffect.PerCurrencyUnit(3, rounding: RoundingMode.HalfUp), new() { Categories = ["shoes"] }, priority: 10),
            Rule(3, RuleEffect.Fixed(50), new() { Tiers = ["gold"] }, priority: 5, stacking: RuleStacking.Exclusive, limits: new() { PerMemberPerDay = 60 }),
            Rule(4, RuleEffect.Fixed(7), priority: 1),
            Rule(5, RuleEffect.Multiplier(3, 2, RoundingMode.Ceiling), priority: 2),
            Rule(6, RuleEffect.Multiplier(2), priority: 2, stacking: RuleStacking.Exclusive),
            Rule(7, RuleEffect.Multiplier(4), priority: 3),
            Rule(8, RuleEffect.Fixed(1), active: false),
            Rule(9, RuleEffect.Fixed(1), trigger: "review"),
            Rule(10, RuleEffect.Fixed(5), new() { MinAmount = 99999 }, priority: 0),
        };
        var usage = Usage(3, today: 20);
        var expected = RuleEvaluator.Evaluate(e, rules, usage, Berlin);
        Assert.Equal(7 + 40, expected.BasePoints);

        var random = new Random(1234);
        for (var i = 0; i < 20; i++)
        {
            var shuffled = rules.OrderBy(_ => random.Next()).ToList();
            var actual = RuleEvaluator.Evaluate(e, shuffled, usage, Berlin);
            Assert.Equal(expected.TotalPoints, actual.TotalPoints);
            Assert.Equal(expected.Outcomes, actual.Outcomes);
        }
    }

    [Fact]
    public void TwoRulesWithOneId_AreRejected() =>
        Assert.Throws<ArgumentException>(() => Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(1)), Rule(1, RuleEffect.Fixed(2), priority: 3)));
}
