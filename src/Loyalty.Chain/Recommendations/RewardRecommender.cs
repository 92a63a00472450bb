using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Recommendations;

/// <summary>
/// Rewards a member could redeem now, ranked by <see cref="RecommendationScoring"/>: the member's catalog
/// (<see cref="RewardCatalog"/>: the redemption's own eligibility, at the member's price) less what is out of stock or over
/// the per-member limit, the category history from EventCategories over the last 90 days. Read-only; a few small queries.
/// </summary>
public sealed class RewardRecommender(LoyaltyDbContext db, RewardCatalog catalog, TimeProvider time)
{
    public const int MaxLimit = 50;

    public async Task<List<ScoredReward>> RecommendAsync(LoyaltyProgram program, Member member, int limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit) throw new LoyaltyException("INVALID_LIMIT", $"limit must be 1-{MaxLimit}");
        if (member.BlockedAt is not null) return [];
        var now = time.GetUtcNow().UtcDateTime;
        var (available, items) = await catalog.ForMemberAsync(program, member, ct);
        var eligible = items.Where(e => e.InStock && !e.LimitReached).ToList();
        if (eligible.Count == 0) return [];

        var since = now.AddDays(-RecommendationScoring.WindowDays);
        var spend = await db.Set<EventCategory>().AsNoTracking()
            .Where(c => c.ProgramId == program.Id && c.MemberId == member.Id && c.OccurredAt >= since)
            .GroupBy(c => c.Category).Select(g => new { g.Key, Amount = g.Sum(x => x.Amount), Purchases = g.Count() }).ToListAsync(ct);

        return RecommendationScoring.Rank(
            eligible.Select(e => new RewardCandidate(e.Reward.Id, e.Reward.Name, e.Cost,
                e.Reward.Attributes.TryGetValue(Reward.CategoryAttribute, out var cat) && !string.IsNullOrWhiteSpace(cat) ? EventCategory.Normalize(cat) : null)),
            spend.Select(s => new CategorySpend(s.Key, s.Amount, s.Purchases)).ToList(), available, limit);
    }
}
