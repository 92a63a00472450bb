using System.Globalization;
using System.Numerics;

namespace Loyalty.Chain.Recommendations;

/// <summary>What a member bought in one category over the window: the sum of line amounts (minor units) and how many events.</summary>
public sealed record CategorySpend(string Category, long Amount, int Purchases);

/// <summary>A candidate reward as the scoring sees it: its cost and its category (null when it has none).</summary>
public sealed record RewardCandidate(long RewardId, string Name, long Cost, string? Category);

public sealed record ScoredReward(long RewardId, string Name, long Cost, int Score, int Affinity, int Affordability, string Reason);

/// <summary>
/// The recommendation score, pure and exact: score = affinity + affordability, integers.
/// Affinity (0-60) = floor(60 × the member's spend in the reward's category ÷ their total categorised spend in the window).
/// Affordability: 40 when the available balance covers the cost, 20 when it covers at least 70% of it, 0 otherwise.
/// Ranking: score desc, then cost asc (the cheaper of two equal), then reward id.
/// </summary>
public static class RecommendationScoring
{
    public const int AffinityWeight = 60;
    public const int AffordNow = 40;
    public const int AffordClose = 20;
    public const int ClosePercent = 70;
    public const int WindowDays = 90;

    public static List<ScoredReward> Rank(IEnumerable<RewardCandidate> rewards, IReadOnlyCollection<CategorySpend> spend, long available, int limit)
    {
        var total = spend.Aggregate(BigInteger.Zero, (sum, s) => sum + s.Amount); // exact: many large categories cannot overflow
        var byCategory = spend.ToDictionary(s => s.Category, StringComparer.Ordinal);
        return rewards.Select(r => Score(r, byCategory, total, available))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Cost).ThenBy(s => s.RewardId).Take(limit).ToList();
    }

    public static ScoredReward Score(RewardCandidate r, IReadOnlyDictionary<string, CategorySpend> spend, BigInteger totalSpend, long available)
    {
        CategorySpend? bought = r.Category is { } c && spend.TryGetValue(c, out var s) ? s : null;
        var affinity = bought is null || totalSpend <= 0 ? 0 : (int)(AffinityWeight * (BigInteger)bought.Amount / totalSpend);
        var affordability = available >= r.Cost ? AffordNow
            : new BigInteger(available) * 100 >= new BigInteger(r.Cost) * ClosePercent ? AffordClose : 0;
        var why = new List<string>();
        if (bought is not null)
            why.Add($"you bought {bought.Category} {bought.Purchases} {(bought.Purchases == 1 ? "time" : "times")} in {WindowDays} days");
        var points = $"{N(available)} of {N(r.Cost)} points";
        why.Add(affordability == AffordNow ? $"you can afford it now ({points})"
            : affordability == AffordClose ? $"you are close ({points})" : $"you have {points}");
        return new ScoredReward(r.RewardId, r.Name, r.Cost, affinity + affordability, affinity, affordability, string.Join("; ", why));
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
