using Loyalty.Chain.Earning;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

public class RuleEffectTests
{
    [Fact]
    public void Fixed_AwardsItsPointsWhateverTheAmount()
    {
        var outcome = Evaluate(Purchase(amount: null), Rule(1, RuleEffect.Fixed(50))).Single();
        Assert.True(outcome.Fired);
        Assert.Equal(50, outcome.Points);
        Assert.Equal(RuleOutcomeCode.Fired, outcome.Code);
        Assert.Equal("fixed 50 points", outcome.Reason);
    }

    [Fact]
    public void Fixed_WithZeroPoints_DoesNotFire()
    {
        var outcome = Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(0))).Single();
        Assert.False(outcome.Fired);
        Assert.Equal(RuleOutcomeCode.NoPoints, outcome.Code);
        Assert.Equal("not fired: fixed 0 points", outcome.Reason);
    }

    [Fact]
    public void PerCurrencyUnit_WithFloorRounding_RoundsDown()
    {
        var result = Evaluate(Purchase(amount: 4990), Rule(1, RuleEffect.PerCurrencyUnit(5)));
        Assert.Equal(249, result.TotalPoints);
        Assert.Equal("5 points per 1.00 EUR on 49.90 EUR = 249 (floor)", result.Single().Reason);
    }

    [Fact]
    public void PerCurrencyUnit_WithCeilingRounding_RoundsUp()
    {
        var result = Evaluate(Purchase(amount: 4981), Rule(1, RuleEffect.PerCurrencyUnit(5, rounding: RoundingMode.Ceiling)));
        Assert.Equal(250, result.TotalPoints); // 249.05
        Assert.Equal("5 points per 1.00 EUR on 49.81 EUR = 250 (ceiling)", result.Single().Reason);
    }

    [Theory]
    [InlineData(4990, 250)] // 249.5: the half goes up
    [InlineData(4989, 249)] // 249.45
    [InlineData(4991, 250)] // 249.55
    [InlineData(10, 1)]     // 0.5
    [InlineData(9, 0)]      // 0.45
    public void PerCurrencyUnit_WithHalfUpRounding_RoundsHalfAwayFromZero(long amount, long points) =>
        Assert.Equal(points, Evaluate(Purchase(amount: amount), Rule(1, RuleEffect.PerCurrencyUnit(5, rounding: RoundingMode.HalfUp))).TotalPoints);

    [Theory]
    [InlineData(RoundingMode.Floor)]
    [InlineData(RoundingMode.Ceiling)]
    [InlineData(RoundingMode.HalfUp)]
    public void PerCurrencyUnit_OnAnExactMultiple_IsTheSameInEveryMode(RoundingMode rounding) =>
        Assert.Equal(250, Evaluate(Purchase(amount: 5000), Rule(1, RuleEffect.PerCurrencyUnit(5, rounding: rounding))).TotalPoints);

    [Fact]
    public void PerCurrencyUnit_PerTenCurrencyUnits_CountsWholeStepsOnly()
    {
        var result = Evaluate(Purchase(amount: 2999), Rule(1, RuleEffect.PerCurrencyUnit(1, perMinorUnits: 1000)));
        Assert.Equal(2, result.TotalPoints);
        Assert.Equal("1 point per 10.00 EUR on 29.99 EUR = 2 (floor)", result.Single().Reason);
    }

    [Fact]
    public void PerCurrencyUnit_WithCategories_EarnsOnTheMatchingLinesOnly()
    {
        var e = Purchase(amount: 10000, lines: [new("A", "shoes", 3000, 1), new("B", "food", 5000, 1), new("C", "Bags", 2050, 1)]);
        var result = Evaluate(e, Rule(1, RuleEffect.PerCurrencyUnit(2), new() { Categories = ["shoes", "bags"] }));
        Assert.Equal(101, result.TotalPoints);
        Assert.Equal("2 points per 1.00 EUR on 50.50 EUR in shoes, bags = 101 (floor)", result.Single().Reason);
    }

    [Fact]
    public void PerCurrencyUnit_WithoutEventAmount_EarnsOnTheSumOfTheLines() =>
        Assert.Equal(12, Evaluate(Purchase(amount: null, lines: [new("A", null, 700, 1), new("B", null, 599, 3)]),
            Rule(1, RuleEffect.PerCurrencyUnit(1))).TotalPoints);

    [Fact]
    public void PerCurrencyUnit_OnEventWithoutAnyAmount_DoesNotFire()
    {
        var outcome = Evaluate(Purchase(amount: null), Rule(1, RuleEffect.PerCurrencyUnit(1))).Single();
        Assert.False(outcome.Fired);
        Assert.Equal(RuleOutcomeCode.NoPoints, outcome.Code);
        Assert.Equal("not fired: event has no amount", outcome.Reason);
    }

    [Fact]
    public void PerCurrencyUnit_OnNegativeAmount_EarnsNothing()
    {
        var outcome = Evaluate(Purchase(amount: -5000), Rule(1, RuleEffect.PerCurrencyUnit(1, rounding: RoundingMode.Ceiling))).Single();
        Assert.False(outcome.Fired);
        Assert.Equal(0, outcome.Points);
        Assert.Equal("not fired: 1 point per 1.00 EUR on 0.00 EUR = 0 (ceiling)", outcome.Reason);
    }

    [Fact]
    public void PerCurrencyUnit_RoundedDownToZero_DoesNotFire()
    {
        var outcome = Evaluate(Purchase(amount: 99), Rule(1, RuleEffect.PerCurrencyUnit(1))).Single();
        Assert.False(outcome.Fired);
        Assert.Equal(RuleOutcomeCode.NoPoints, outcome.Code);
    }

    [Fact]
    public void PerCurrencyUnit_InAZeroDecimalCurrency_ShowsWholeUnits() =>
        Assert.Equal("1 point per 100 JPY on 1234 JPY = 12 (floor)",
            Evaluate(Purchase(amount: 1234, currency: "JPY"), Rule(1, RuleEffect.PerCurrencyUnit(1))).Single().Reason);

    [Fact]
    public void Multiplier_Double_AddsTheBaseOnceMore()
    {
        var result = Evaluate(Purchase(amount: 4990), Rule(1, RuleEffect.PerCurrencyUnit(5)), Rule(2, RuleEffect.Multiplier(2)));
        Assert.Equal(249, result.BasePoints);
        Assert.Equal(498, result.TotalPoints);
        Assert.Equal("2x on 249 base points = +249 (floor)", result.For(2).Reason);
        Assert.Equal(249, result.For(2).Points);
    }

    [Theory]
    [InlineData(RoundingMode.Floor, 150)]
    [InlineData(RoundingMode.Ceiling, 151)]
    [InlineData(RoundingMode.HalfUp, 151)]
    public void Multiplier_OfThreeHalves_RoundsItsExtraPointsByItsOwnMode(RoundingMode rounding, long extra)
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(301)), Rule(2, RuleEffect.Multiplier(3, 2, rounding)));
        Assert.Equal(extra, result.For(2).Points);
        Assert.Equal(301 + extra, result.TotalPoints);
        Assert.StartsWith("3/2x on 301 base points = +" + extra, result.For(2).Reason);
    }

    [Fact]
    public void Multipliers_AddUpOnTheBaseInsteadOfCompounding()
    {
        // 2x adds 100, 1.5x adds 50: 2.5x in all, not 3x.
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(100)), Rule(2, RuleEffect.Multiplier(2)), Rule(3, RuleEffect.Multiplier(3, 2)));
        Assert.Equal(250, result.TotalPoints);
        Assert.Equal([100L, 100L, 50L], result.Outcomes.Select(o => o.Points));
    }

    [Fact]
    public void Multiplier_OfOne_AddsNothingAndDoesNotFire() =>
        Assert.Equal(RuleOutcomeCode.NoPoints,
            Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(100)), Rule(2, RuleEffect.Multiplier(1))).For(2).Code);

    [Fact]
    public void Multiplier_WithoutBasePoints_DoesNotFire()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.Multiplier(2)));
        Assert.Equal(0, result.TotalPoints);
        Assert.Equal("not fired: no base points to multiply", result.Single().Reason);
        Assert.Equal(RuleOutcomeCode.NoPoints, result.Single().Code);
    }

    [Fact]
    public void Multiplier_WorksOnEveryBaseRuleTogether() =>
        Assert.Equal(2 * (100 + 49), Evaluate(Purchase(amount: 4990),
            Rule(1, RuleEffect.Fixed(100)), Rule(2, RuleEffect.PerCurrencyUnit(1)), Rule(3, RuleEffect.Multiplier(2))).TotalPoints);

    [Fact]
    public void HugeAward_ThrowsOverflowInsteadOfWrapping()
    {
        var rule = Rule(1, RuleEffect.PerCurrencyUnit(long.MaxValue, perMinorUnits: 1));
        Assert.Throws<OverflowException>(() => Evaluate(Purchase(amount: 2), rule));
    }

    [Fact]
    public void HugeTotal_ThrowsOverflowInsteadOfWrapping() =>
        Assert.Throws<OverflowException>(() => Evaluate(Purchase(), Rule(1, RuleEffect.Fixed(long.MaxValue)), Rule(2, RuleEffect.Fixed(1))));

    [Fact]
    public void HugeIntermediateProduct_IsExact()
    {
        // amount * points is far beyond 64 bits; the quotient is not.
        var rule = Rule(1, RuleEffect.PerCurrencyUnit(long.MaxValue / 2, perMinorUnits: long.MaxValue));
        Assert.Equal(long.MaxValue / 2, Evaluate(Purchase(amount: long.MaxValue), rule).TotalPoints);
    }
}
