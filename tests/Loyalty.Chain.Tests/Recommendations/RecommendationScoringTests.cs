using Loyalty.Chain.Recommendations;

namespace Loyalty.Chain.Tests.Recommendations;

/// <summary>The pure recommendation score: affinity (0-60) + affordability (40 now, 20 close, 0 far), exact integers.</summary>
public class RecommendationScoringTests
{
    private static readonly CategorySpend[] CoffeeBuyer = [new("coffee", 5000, 5), new("tea", 1000, 1)];

    private static RewardCandidate R(long id, long cost, string? category) => new(id, $"reward {id}", cost, category);

    [Fact]
    public void Affinity_IsTheFlooredShareOfSpendInTheCategory_TimesSixty()
    {
        var ranked = RecommendationScoring.Rank([R(1, 10, "coffee"), R(2, 10, "tea"), R(3, 10, null), R(4, 10, "shoes")], CoffeeBuyer, 1000, 10);
        Assert.Equal([(1L, 50), (2L, 10), (3L, 0), (4L, 0)], ranked.Select(s => (s.RewardId, s.Affinity)).ToArray());
        Assert.All(ranked, s => Assert.Equal(40, s.Affordability));
    }

    [Theory]
    [InlineData(800, 800, 40)]  // exactly affordable
    [InlineData(560, 800, 20)]  // exactly 70%: close
    [InlineData(559, 800, 0)]   // just under 70%: far
    [InlineData(0, 800, 0)]
    public void Affordability_HasThreeSteps(long available, long cost, int expected) =>
        Assert.Equal(expected, RecommendationScoring.Rank([R(1, cost, null)], [], available, 1).Single().Affordability);

    [Fact]
    public void AnAffordableReward_RanksAboveAnUnaffordableOneOfEqualAffinity_AndTiesGoToTheCheaperThenTheLowerId()
    {
        var ranked = RecommendationScoring.Rank([R(5, 5000, "tea"), R(3, 500, "tea"), R(2, 500, "tea"), R(1, 600, "tea")], CoffeeBuyer, 600, 10);
        Assert.Equal([2L, 3L, 1L, 5L], ranked.Select(s => s.RewardId).ToArray());
        Assert.Equal(10, ranked[^1].Score);
    }

    [Fact]
    public void TheReason_ExplainsBothParts_WithGroupedNumbers()
    {
        var s = RecommendationScoring.Rank([R(1, 800, "coffee")], CoffeeBuyer, 1200, 1).Single();
        Assert.Equal("you bought coffee 5 times in 90 days; you can afford it now (1,200 of 800 points)", s.Reason);
        Assert.Equal(90, s.Score);
        Assert.Equal("you have 10 of 1,000,000 points", RecommendationScoring.Rank([R(1, 1_000_000, "shoes")], CoffeeBuyer, 10, 1).Single().Reason);
    }

    [Fact]
    public void ExtremeAmounts_DoNotOverflow()
    {
        var s = RecommendationScoring.Rank([R(1, long.MaxValue, "coffee")], [new("coffee", long.MaxValue, 1)], long.MaxValue - 1, 1).Single();
        Assert.Equal(60 + 20, s.Score);
        Assert.Equal(59, RecommendationScoring.Rank([R(1, 1, "a")], [new("a", long.MaxValue, 1), new("b", 1, 1)], 0, 1).Single().Affinity);
    }
}
