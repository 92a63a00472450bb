using Loyalty.Chain.Earning;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

public class RuleConditionTests
{
    private static readonly RuleEffect TenPoints = RuleEffect.Fixed(10);

    private static RuleOutcome Check(RuleConditions conditions, EarningEvent e) => Evaluate(e, Rule(1, TenPoints, conditions)).Single();

    private static void AssertFired(RuleOutcome outcome)
    {
        Assert.True(outcome.Fired, outcome.Reason);
        Assert.Equal(10, outcome.Points);
    }

    private static void AssertNotMet(RuleOutcome outcome, string reason)
    {
        Assert.False(outcome.Fired);
        Assert.Equal(0, outcome.Points);
        Assert.Equal(RuleOutcomeCode.ConditionNotMet, outcome.Code);
        Assert.Equal(reason, outcome.Reason);
    }

    [Fact]
    public void RuleWithoutConditions_FiresForEveryEventOfItsTrigger() =>
        AssertFired(Check(new RuleConditions(), Purchase(amount: null, currency: null)));

    [Fact]
    public void Trigger_MatchesEventTypeIgnoringCase()
    {
        var rule = Rule(1, TenPoints, trigger: " Purchase ");
        Assert.Equal("purchase", rule.Trigger);
        AssertFired(Evaluate(Purchase(type: "PURCHASE"), rule).Single());
    }

    [Fact]
    public void RulesOfOtherTriggers_AreLeftOutOfTheOutcomes()
    {
        var result = Evaluate(Purchase(type: "review"), Rule(1, TenPoints), Rule(2, RuleEffect.Fixed(5), trigger: "review"));
        Assert.Equal(2, result.Single().RuleId);
        Assert.Equal(5, result.TotalPoints);
    }

    [Fact]
    public void InactiveRule_IsListedAsNotFired()
    {
        var outcome = Evaluate(Purchase(), Rule(1, TenPoints, active: false)).Single();
        Assert.False(outcome.Fired);
        Assert.Equal(RuleOutcomeCode.Inactive, outcome.Code);
        Assert.Equal("not fired: rule inactive", outcome.Reason);
    }

    [Fact]
    public void MinAmount_ExactlyReached_Fires() => AssertFired(Check(new() { MinAmount = 1000 }, Purchase(amount: 1000)));

    [Fact]
    public void MinAmount_NotReached_DoesNotFireAndSaysByHowMuch() =>
        AssertNotMet(Check(new() { MinAmount = 1000 }, Purchase(amount: 999)), "not fired: amount 9.99 EUR below minimum 10.00 EUR");

    [Fact]
    public void MinAmount_OnEventWithoutAmount_DoesNotFire() =>
        AssertNotMet(Check(new() { MinAmount = 1000 }, Purchase(amount: null)), "not fired: event has no amount (minimum 10.00 EUR)");

    [Fact]
    public void MinAmount_WhenEventAmountIsMissing_UsesTheSumOfTheLines()
    {
        EventLine[] lines = [new("A", "shoes", 600, 1), new("B", "bags", 500, 2)];
        AssertFired(Check(new() { MinAmount = 1100 }, Purchase(amount: null, lines: lines)));
        AssertNotMet(Check(new() { MinAmount = 1101 }, Purchase(amount: null, lines: lines)), "not fired: amount 11.00 EUR below minimum 11.01 EUR");
    }

    [Fact]
    public void MinAmount_WithCategories_CountsOnlyTheMatchingLines()
    {
        var e = Purchase(amount: 5000, lines: [new("A", "shoes", 3000, 1), new("B", "food", 2000, 1)]);
        AssertFired(Check(new() { MinAmount = 3000, Categories = ["shoes"] }, e));
        AssertNotMet(Check(new() { MinAmount = 3001, Categories = ["shoes"] }, e),
            "not fired: amount 30.00 EUR in shoes below minimum 30.01 EUR");
    }

    [Fact]
    public void Categories_AnyLineInTheList_FiresIgnoringCase() =>
        AssertFired(Check(new() { Categories = ["shoes", "bags"] }, Purchase(lines: [new("A", "food", 100, 1), new("B", "BAGS", 100, 1)])));

    [Fact]
    public void Categories_NoLineInTheList_DoesNotFire() =>
        AssertNotMet(Check(new() { Categories = ["shoes", "bags"] }, Purchase(lines: [new("A", "food", 100, 1), new("B", null, 100, 1)])),
            "not fired: no line in categories shoes, bags");

    [Fact]
    public void Categories_EmptyList_CountsAsNoCondition() =>
        AssertFired(Check(new() { Categories = [], Tiers = [], Weekdays = [] }, Purchase()));

    [Fact]
    public void Tiers_MemberTierInTheList_FiresIgnoringCase() =>
        AssertFired(Check(new() { Tiers = ["gold", "platinum"] }, Purchase(tier: "Gold")));

    [Fact]
    public void Tiers_MemberTierNotInTheList_DoesNotFire() =>
        AssertNotMet(Check(new() { Tiers = ["gold", "platinum"] }, Purchase(tier: "silver")), "not fired: tier silver not in gold, platinum");

    [Fact]
    public void Tiers_MemberWithoutTier_DoesNotFire() =>
        AssertNotMet(Check(new() { Tiers = ["gold"] }, Purchase(tier: null)), "not fired: member has no tier (requires gold)");

    [Fact]
    public void Attributes_ValueEqualIgnoringCase_Fires() =>
        AssertFired(Check(new() { Attributes = new() { ["city"] = "Berlin" } }, Purchase(attributes: new() { ["city"] = "BERLIN" })));

    [Fact]
    public void Attributes_DifferentValue_DoesNotFire() =>
        AssertNotMet(Check(new() { Attributes = new() { ["city"] = "Berlin" } }, Purchase(attributes: new() { ["city"] = "Paris" })),
            "not fired: attribute city is 'Paris', requires 'Berlin'");

    [Fact]
    public void Attributes_MissingOnTheMember_DoesNotFire() =>
        AssertNotMet(Check(new() { Attributes = new() { ["city"] = "Berlin" } }, Purchase(attributes: new() { ["lang"] = "de" })),
            "not fired: attribute city missing (requires 'Berlin')");

    [Fact]
    public void Attributes_EveryOneMustHold()
    {
        var conditions = new RuleConditions { Attributes = new() { ["city"] = "Berlin", ["optin"] = "yes" } };
        AssertFired(Check(conditions, Purchase(attributes: new() { ["city"] = "berlin", ["optin"] = "YES" })));
        AssertNotMet(Check(conditions, Purchase(attributes: new() { ["city"] = "berlin", ["optin"] = "no" })),
            "not fired: attribute optin is 'no', requires 'yes'");
    }

    [Fact]
    public void Currency_Equal_FiresIgnoringCase() => AssertFired(Check(new() { Currency = "eur" }, Purchase(currency: "EUR")));

    [Fact]
    public void Currency_Different_DoesNotFire() =>
        AssertNotMet(Check(new() { Currency = "EUR" }, Purchase(currency: "usd")), "not fired: currency USD is not EUR");

    [Fact]
    public void Currency_MissingOnTheEvent_DoesNotFire() =>
        AssertNotMet(Check(new() { Currency = "EUR" }, Purchase(currency: null)), "not fired: event has no currency (requires EUR)");

    [Fact]
    public void SeveralConditions_AllMustHoldAndTheFirstFailureIsReported()
    {
        var conditions = new RuleConditions { MinAmount = 1000, Tiers = ["gold"], Currency = "EUR" };
        AssertFired(Check(conditions, Purchase(amount: 1000, tier: "gold")));
        AssertNotMet(Check(conditions, Purchase(amount: 500, tier: "silver")), "not fired: amount 5.00 EUR below minimum 10.00 EUR");
        AssertNotMet(Check(conditions, Purchase(amount: 5000, tier: "silver")), "not fired: tier silver not in gold");
    }
}
