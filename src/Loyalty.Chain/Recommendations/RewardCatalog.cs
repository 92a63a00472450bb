using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Recommendations;

/// <summary>
/// One reward as one member sees it: the price they would pay (their lowest live reward_price offer below the regular
/// cost, else the regular cost), what is left in stock (null = unlimited), whether their per-member limit is used up,
/// and whether their available balance covers the price.
/// </summary>
public sealed record CatalogEntry(Reward Reward, long Cost, long? OfferId, int? StockLeft, bool LimitReached, bool Affordable)
{
    public bool InStock => StockLeft is not 0;
}

public sealed record MemberCatalog(long Available, List<CatalogEntry> Items);

/// <summary>
/// The rewards a member may see, with the eligibility redemption applies (<see cref="RedemptionService"/>): active, in
/// its validity window, its cause active, tier allowed, profile attributes matched, in the reward's segment. Stock and the
/// per-member limit do not hide a reward here (they are shown); <see cref="RewardRecommender"/> drops those.
/// Read-only; a few small queries.
/// </summary>
public sealed class RewardCatalog(LoyaltyDbContext db, Segments.SegmentService segments, Offers.OfferService offers, TimeProvider time)
{
    public async Task<MemberCatalog> ForMemberAsync(LoyaltyProgram program, Member member, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var available = await db.Set<MemberBalance>().AsNoTracking().Where(b => b.MemberId == member.Id).Select(b => b.Available).SingleOrDefaultAsync(ct);
        var rewards = await db.Set<Reward>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Active && (r.ValidFrom == null || r.ValidFrom <= now) && (r.ValidUntil == null || r.ValidUntil > now))
            .Where(r => r.CauseId == null || db.Set<Donations.Cause>().Any(c => c.Id == r.CauseId && c.Active))
            .ToListAsync(ct);
        if (rewards.Count == 0) return new MemberCatalog(available, []);
        var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
        var visible = rewards.Where(r =>
            (r.Tiers.Length == 0 || r.Tiers.Contains(member.Tier ?? "", StringComparer.OrdinalIgnoreCase))
            && RedemptionService.AttributesMatch(r, profile)).ToList();
        // A segment-only reward is shown only to its members (redemption refuses the others: NOT_IN_SEGMENT).
        var segmentIds = visible.Select(r => r.SegmentId).OfType<long>().Distinct().ToList();
        if (segmentIds.Count > 0)
        {
            var inSegments = (await segments.MembershipsAsync(program, segmentIds, [member.Id], ct)).GetValueOrDefault(member.Id) ?? [];
            visible = visible.Where(r => r.SegmentId is not { } s || inSegments.Contains(s)).ToList();
        }
        var limited = visible.Where(r => r.PerMemberLimit is not null).Select(r => r.Id).ToList();
        var used = limited.Count == 0 ? new Dictionary<long, int>()
            : await db.Set<Redemption.Redemption>().AsNoTracking()
                .Where(r => r.MemberId == member.Id && limited.Contains(r.RewardId) && r.Status != RedemptionStatus.Cancelled && r.Status != RedemptionStatus.Failed)
                .GroupBy(r => r.RewardId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        // The price the member would pay: the lowest of their live reward_price offers below the regular cost, as
        // redemption charges it (OfferService.BestPriceAsync: lowest cost, then the lower offer id).
        var best = (await offers.ForMemberAsync(program, member.Id, ct))
            .Where(o => o.Offer.Kind == Offers.OfferKind.RewardPrice && o.Offer.RewardId is not null && o.Offer.Cost is not null)
            .GroupBy(o => o.Offer.RewardId!.Value)
            .ToDictionary(g => g.Key, g => g.Select(o => o.Offer).OrderBy(o => o.Cost).ThenBy(o => o.Id).First());

        var items = visible.Select(r =>
        {
            var offer = best.GetValueOrDefault(r.Id) is { } o && o.Cost < r.Cost ? o : null;
            var cost = offer?.Cost ?? r.Cost;
            int? left = r.Stock is { } stock ? Math.Max(0, stock - r.Issued) : null;
            var limitReached = r.PerMemberLimit is { } max && used.GetValueOrDefault(r.Id) >= max;
            return new CatalogEntry(r, cost, offer?.Id, left, limitReached, available >= cost);
        }).OrderBy(e => e.Cost).ThenBy(e => e.Reward.Id).ToList();
        return new MemberCatalog(available, items);
    }
}
