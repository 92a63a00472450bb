using Loyalty.Chain.Earning;
using Loyalty.Chain.Segments;

namespace Loyalty.Chain.Tests.Segments;

/// <summary>The pure segment logic: validation, resolution against now and the zone, matching, and the rule condition.</summary>
public class SegmentMatcherTests
{
    private static readonly DateTime Now = new(2026, 12, 31, 23, 30, 0, DateTimeKind.Utc);

    private static bool Match(SegmentDefinition d, MemberFacts f, TimeZoneInfo? zone = null)
    {
        Assert.Empty(d.Validate());
        return SegmentMatcher.Matches(d.Resolve(Now, zone ?? TimeZoneInfo.Utc), f);
    }

    [Fact]
    public void CurrentBirthdayMonth_IsTheMonthNowInTheProgramZone()
    {
        var january = new MemberFacts { Birthday = new DateOnly(1990, 1, 5) };
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        Assert.False(Match(new SegmentDefinition { BirthdayMonth = "current" }, january));
        Assert.True(Match(new SegmentDefinition { BirthdayMonth = "current" }, january, paris)); // 00:30 on 1 January in Paris
    }

    [Fact]
    public void AttributesAndConsents_CompareIgnoringAsciiCase_AndAWithdrawnConsentDoesNotCount()
    {
        var f = new MemberFacts
        {
            Attributes = new Dictionary<string, string> { ["City"] = "PARIS" },
            Consents = new Dictionary<string, bool> { ["Email"] = true, ["sms"] = false },
        };
        Assert.True(Match(new SegmentDefinition { Attributes = new() { ["city"] = "paris" }, Consent = ["EMAIL"] }, f));
        Assert.False(Match(new SegmentDefinition { Attributes = new() { ["city"] = "pari" } }, f));
        Assert.False(Match(new SegmentDefinition { Consent = ["sms"] }, f));
    }

    [Fact]
    public void SpendIsNetOfRefunds_AndWindowsCountBackFromNow()
    {
        var f = new MemberFacts { Purchases = [(Now.AddDays(-10), 5000, 2000), (Now.AddDays(-50), 4000, 0)] };
        Assert.True(Match(new SegmentDefinition { Spend = new AmountRange("3000", "3000", 30) }, f));
        Assert.True(Match(new SegmentDefinition { Spend = new AmountRange("7000", null, null) }, f));
        Assert.False(Match(new SegmentDefinition { Spend = new AmountRange("7001", null, null) }, f));
        Assert.True(Match(new SegmentDefinition { PurchaseCount = new CountRange(1, 1, 30) }, f));
        Assert.False(Match(new SegmentDefinition { NoPurchaseWithinDays = 11 }, f));
        Assert.True(Match(new SegmentDefinition { NoPurchaseWithinDays = 9 }, f));
        Assert.True(Match(new SegmentDefinition { NoPurchaseWithinDays = 9 }, new MemberFacts())); // never bought: lapsed
    }

    [Fact]
    public void BlockedMembersAreExcludedByDefault()
    {
        var blocked = new MemberFacts { Tier = "Gold", BlockedAt = Now };
        Assert.False(Match(new SegmentDefinition { Tiers = ["gold"] }, blocked));
        Assert.True(Match(new SegmentDefinition { Tiers = ["gold"], ExcludeBlocked = false }, blocked));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("13")]
    [InlineData("05")]
    [InlineData("May")]
    public void BirthdayMonth_OutsideOneToTwelve_IsRefused(string month) =>
        Assert.NotEmpty(new SegmentDefinition { BirthdayMonth = month }.Validate());

    [Fact]
    public void BadBoundsAndDays_AreRefused()
    {
        Assert.NotEmpty(new SegmentDefinition { Spend = new AmountRange("1.5", null, null) }.Validate());
        Assert.NotEmpty(new SegmentDefinition { Spend = new AmountRange("9", "1", null) }.Validate());
        Assert.NotEmpty(new SegmentDefinition { PointsBalance = new AmountRange(null, null, null) }.Validate());
        Assert.NotEmpty(new SegmentDefinition { LastPurchaseWithinDays = 0 }.Validate());
        Assert.NotEmpty(new SegmentDefinition { Tiers = [null!] }.Validate());
        Assert.NotEmpty(new SegmentDefinition { CategoriesBought = new CategoriesBought([], 3) }.Validate());
    }

    [Fact]
    public void RuleSegmentCondition_FiresForAMemberInAnyListedSegmentOnly()
    {
        var rule = new EarningRule { Id = 1, Name = "seg", Trigger = "visit", Effect = RuleEffect.Fixed(5), Conditions = new RuleConditions { Segments = [7, 9] } };
        RuleOutcome Run(IReadOnlySet<long>? segments) => RuleEvaluator.Evaluate(
            new EarningEvent { Type = "visit", OccurredAt = Now, MemberSegments = segments }, [rule], RuleUsage.None, TimeZoneInfo.Utc).Outcomes.Single();
        Assert.True(Run(new HashSet<long> { 9 }).Fired);
        var outside = Run(new HashSet<long> { 8 });
        Assert.False(outside.Fired);
        Assert.Contains("not in segment", outside.Reason);
        Assert.False(Run(null).Fired);
    }

    [Fact]
    public void RuleOfferCondition_FiresOnlyForMembersOnTheOffersList()
    {
        var rule = new EarningRule { Id = 1, Name = "o", Trigger = "visit", Effect = RuleEffect.Fixed(5), Conditions = new RuleConditions { OfferId = 4 } };
        bool Fires(IReadOnlySet<long>? offers) => RuleEvaluator.Evaluate(
            new EarningEvent { Type = "visit", OccurredAt = Now, MemberOffers = offers }, [rule], RuleUsage.None, TimeZoneInfo.Utc).Outcomes.Single().Fired;
        Assert.True(Fires(new HashSet<long> { 4 }));
        Assert.False(Fires(new HashSet<long> { 5 }));
        Assert.False(Fires(null));
    }
}
