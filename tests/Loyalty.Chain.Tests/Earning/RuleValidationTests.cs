using Loyalty.Chain.Earning;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

public class RuleValidationTests
{
    [Fact]
    public void WellFormedRule_HasNoErrors() =>
        Assert.Empty(Rule(1, RuleEffect.PerCurrencyUnit(5), new() { FromHour = 22, ToHour = 2, MinAmount = 0 },
            new() { PerMemberPerDay = 0, Budget = 10 }, startsAt: Noon, endsAt: Noon.AddDays(1)).Validate());

    [Theory]
    [InlineData(RuleEffectKind.Fixed, -1, 100, 1, 1, "Points must be >= 0.")]
    [InlineData(RuleEffectKind.PerCurrencyUnit, -1, 100, 1, 1, "Points must be >= 0.")]
    [InlineData(RuleEffectKind.PerCurrencyUnit, 1, 0, 1, 1, "PerMinorUnits must be > 0.")]
    [InlineData(RuleEffectKind.Multiplier, 0, 100, 2, 0, "MultiplierDenominator must be > 0.")]
    [InlineData(RuleEffectKind.Multiplier, 0, 100, 1, 2, "A multiplier must be at least 1 (MultiplierNumerator >= MultiplierDenominator).")]
    public void Effect_OutOfRange_IsReported(RuleEffectKind kind, long points, long perMinorUnits, long numerator, long denominator, string error) =>
        Assert.Equal([error], new RuleEffect
        {
            Kind = kind, Points = points, PerMinorUnits = perMinorUnits, MultiplierNumerator = numerator, MultiplierDenominator = denominator,
        }.Validate());

    [Fact]
    public void Effect_MultiplierOfExactlyOne_IsAllowed() => Assert.Empty(RuleEffect.Multiplier(3, 3).Validate());

    [Fact]
    public void Effect_UnknownKindOrRounding_IsReported() =>
        Assert.Equal(2, new RuleEffect { Kind = (RuleEffectKind)9, Rounding = (RoundingMode)9 }.Validate().Count);

    [Theory]
    [InlineData(-1, null)]
    [InlineData(24, null)]
    [InlineData(null, 0)]
    [InlineData(null, 25)]
    [InlineData(5, 5)]
    public void Conditions_BadHourWindow_IsReported(int? from, int? to) =>
        Assert.NotEmpty(new RuleConditions { FromHour = from, ToHour = to }.Validate());

    [Fact]
    public void Conditions_NegativeMinimumOrBlankEntries_AreReported() =>
        Assert.Equal(4, new RuleConditions
        {
            MinAmount = -1, Categories = [" "], Tiers = [""], Weekdays = [(DayOfWeek)7],
        }.Validate().Count);

    [Fact]
    public void Limits_Negative_AreReported() =>
        Assert.Equal(3, new RuleLimits { PerMemberPerDay = -1, PerMemberPerMonth = -1, Budget = -1 }.Validate().Count);

    [Fact]
    public void Rule_WindowEndingAtOrBeforeItsStart_IsReported() =>
        Assert.Contains("EndsAt must be after StartsAt.", Rule(1, RuleEffect.Fixed(1), startsAt: Noon, endsAt: Noon).Validate());

    [Fact]
    public void Rule_WithoutNameOrTrigger_IsReported()
    {
        var rule = Rule(1, RuleEffect.Fixed(1), trigger: "  ");
        rule.Name = "";
        Assert.Equal(["Name is required.", "Trigger is required."], rule.Validate());
    }

    [Fact]
    public void InvalidRule_IsSkippedWithItsErrorsInsteadOfFailingTheEvent()
    {
        var result = Evaluate(Purchase(), Rule(1, RuleEffect.PerCurrencyUnit(5, perMinorUnits: 0)), Rule(2, RuleEffect.Fixed(10)));
        Assert.Equal(10, result.TotalPoints);
        Assert.Equal(RuleOutcomeCode.InvalidRule, result.For(1).Code);
        Assert.Equal("not fired: invalid rule: PerMinorUnits must be > 0.", result.For(1).Reason);
    }
}
