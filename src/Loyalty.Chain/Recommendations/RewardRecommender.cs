using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Recommendations;

/// <summary>
/// Rewards a member could redeem now, ranked by <see cref="RecommendationScoring"/>: eligibility is the redemption's own
/// (active, in its validity window, tier allowed, profile attributes matched, in stock, under the per-member limit, its
/// cause active, in the reward's segment), at the member's price (their lowest reward_price offer), the category history
/// from EventCategories over the last 90 days. Read-only; a few small queries.
/// </summary>
public sealed class RewardRecommender(LoyaltyDbContext db, Segments.SegmentService segments, Offers.OfferService offers, TimeProvider time)
{
    public const int MaxLimit = 50;

    public async Task<List<ScoredReward>> RecommendAsync(LoyaltyProgram program, Member member, int limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit) throw new LoyaltyException("INVALID_LIMIT", $"limit must be 1-{MaxLimit}");
        if (member.BlockedAt is not null) return [];
        var now = time.GetUtcNow().UtcDateTime;
        var rewards = await db.Set<Reward>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Active && (r.ValidFrom == null || r.ValidFrom <= now) && (r.ValidUntil == null || r.ValidUntil > now)
                        && (r.Stock == null || r.Issued < r.Stock))
            .Where(r => r.CauseId == null || db.Set<Donations.Cause>().Any(c => c.Id == r.CauseId && c.Active))
            .ToListAsync(ct);
        if (rewards.Count == 0) return [];
        var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
        var limited = rewards.Where(r => r.PerMemberLimit is not null).Select(r => r.Id).ToList();
        var used = limited.Count == 0 ? new Dictionary<long, int>()
            : await db.Set<Redemption.Redemption>().AsNoTracking()
                .Where(r => r.MemberId == member.Id && limited.Contains(r.RewardId) && r.Status != RedemptionStatus.Cancelled && r.Status != RedemptionStatus.Failed)
                .GroupBy(r => r.RewardId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var eligible = rewards.Where(r =>
            (r.Tiers.Length == 0 || r.Tiers.Contains(member.Tier ?? "", StringComparer.OrdinalIgnoreCase))
            && RedemptionService.AttributesMatch(r, profile)
            && (r.PerMemberLimit is not { } max || used.GetValueOrDefault(r.Id) < max)).ToList();
        // A segment-only reward is recommended only to its members (redemption refuses the others: NOT_IN_SEGMENT).
        var segmentIds = eligible.Select(r => r.SegmentId).OfType<long>().Distinct().ToList();
        if (segmentIds.Count > 0)
        {
            var inSegments = new HashSet<long>();
            foreach (var segmentId in segmentIds)
                if ((await segments.ContainsAsync(program.Id, segmentId, [member.Id], ct)).Contains(member.Id)) inSegments.Add(segmentId);
            eligible = eligible.Where(r => r.SegmentId is not { } s || inSegments.Contains(s)).ToList();
        }
        // The price the member would pay: the lowest of their live reward_price offers, as redemption charges it.
        var prices = (await offers.ForMemberAsync(program, member.Id, ct))
            .Where(o => o.Offer.Kind == Offers.OfferKind.RewardPrice && o.Offer.RewardId is not null && o.Offer.Cost is not null)
            .GroupBy(o => o.Offer.RewardId!.Value).ToDictionary(g => g.Key, g => g.Min(o => o.Offer.Cost!.Value));

        var since = now.AddDays(-RecommendationScoring.WindowDays);
        var spend = await db.Set<EventCategory>().AsNoTracking()
            .Where(c => c.ProgramId == program.Id && c.MemberId == member.Id && c.OccurredAt >= since)
            .GroupBy(c => c.Category).Select(g => new { g.Key, Amount = g.Sum(x => x.Amount), Purchases = g.Count() }).ToListAsync(ct);
        var available = await db.Set<MemberBalance>().AsNoTracking().Where(b => b.MemberId == member.Id).Select(b => b.Available).SingleOrDefaultAsync(ct);

        return RecommendationScoring.Rank(
            eligible.Select(r => new RewardCandidate(r.Id, r.Name, prices.TryGetValue(r.Id, out var offered) ? Math.Min(offered, r.Cost) : r.Cost,
                r.Attributes.TryGetValue(Reward.CategoryAttribute, out var cat) && !string.IsNullOrWhiteSpace(cat) ? EventCategory.Normalize(cat) : null)),
            spend.Select(s => new CategorySpend(s.Key, s.Amount, s.Purchases)).ToList(), available, limit);
    }
}
