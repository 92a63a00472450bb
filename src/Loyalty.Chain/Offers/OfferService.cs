using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Loyalty.Chain.Segments;
using Loyalty.Chain.Validation;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Offers;

/// <summary>What an offer is made of, as the API takes it (the bonus rule is built by the rules API's own parser).</summary>
public sealed record NewOffer(string? Name, string? Description, OfferKind Kind, long? SegmentId, IReadOnlyList<string>? MemberIds,
    DateTime? StartsAt, DateTime? EndsAt, bool? Active, long? RewardId, string? Cost, EarningRule? Rule);

/// <summary>A live offer shown to one member, with why they see it.</summary>
public sealed record MemberOffer(Offer Offer, string Why);

public sealed class OfferService(LoyaltyDbContext db, SegmentService segments, TimeProvider time)
{
    public async Task<Offer> CreateAsync(LoyaltyProgram program, NewOffer r, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var offer = new Offer
        {
            ProgramId = program.Id, Name = r.Name?.Trim() ?? "", Description = r.Description, Kind = r.Kind, SegmentId = r.SegmentId,
            StartsAt = r.StartsAt?.ToUniversalTime() ?? now, EndsAt = r.EndsAt?.ToUniversalTime() ?? default, Active = r.Active ?? true, CreatedAt = now,
            RewardId = r.RewardId,
        };
        var errors = new List<string>();
        if (offer.Name.Length is 0 or > 200) errors.Add("name is required (at most 200 characters).");
        if (offer.Description is { Length: > 1000 }) errors.Add("description is at most 1000 characters.");
        if (!Enum.IsDefined(offer.Kind)) errors.Add("kind must be reward_price or bonus_rule.");
        if (r.EndsAt is null) errors.Add("endsAt is required.");
        else if (offer.EndsAt <= offer.StartsAt) errors.Add("endsAt must be after startsAt.");
        if ((r.SegmentId is null) == (r.MemberIds is null)) errors.Add("the audience is either segmentId or memberIds.");
        if (r.MemberIds is { } list && (list.Count is 0 or > Offer.MaxMembers || list.Any(id => !Ids.IsValid(id))))
            errors.Add($"memberIds holds 1-{Offer.MaxMembers} valid member ids.");
        if (r.Kind == OfferKind.RewardPrice)
        {
            if (r.RewardId is null) errors.Add("a reward_price offer needs rewardId.");
            if (!Amounts.TryParsePoints(r.Cost, out var cost) || cost <= 0) errors.Add("cost must be a positive whole number of points (decimal string).");
            else offer.Cost = cost;
            if (r.Rule is not null) errors.Add("a reward_price offer has no rule.");
        }
        else if (r.Kind == OfferKind.BonusRule)
        {
            if (r.Rule is null) errors.Add("a bonus_rule offer needs rule.");
            else if (r.Rule.Conditions.Segments is not null || r.Rule.Conditions.OfferId is not null)
                errors.Add("the offer's audience restricts its rule; the rule sets no segments or offerId itself.");
            if (r.RewardId is not null || r.Cost is not null) errors.Add("a bonus_rule offer has no rewardId or cost.");
        }
        if (errors.Count > 0) throw new LoyaltyException("INVALID_OFFER", string.Join(" ", errors));
        if (r.SegmentId is { } segmentId) await segments.EnsureExistAsync(program.Id, [segmentId], ct);
        if (r.RewardId is { } rewardId && !await db.Set<Reward>().AnyAsync(x => x.Id == rewardId && x.ProgramId == program.Id, ct))
            throw new LoyaltyException("UNKNOWN_REWARD", "no such reward in this program", 422);

        List<long> memberIds = [];
        if (r.MemberIds is { } externalIds)
        {
            var distinct = externalIds.Distinct().ToList();
            var found = await db.Set<Member>().AsNoTracking().Where(m => m.ProgramId == program.Id && distinct.Contains(m.ExternalId))
                .Select(m => new { m.Id, m.ExternalId }).ToListAsync(ct);
            var unknown = distinct.Except(found.Select(f => f.ExternalId)).Take(5).ToList();
            if (unknown.Count > 0) throw new LoyaltyException("UNKNOWN_MEMBER", "no such members: " + string.Join(", ", unknown), 422);
            memberIds = found.Select(f => f.Id).ToList();
            offer.ListedMembers = memberIds.Count;
        }

        return await db.InWriteTransactionAsync(async c =>
        {
            db.Set<Offer>().Add(offer);
            await db.SaveChangesAsync(c);
            db.Set<OfferMember>().AddRange(memberIds.Select(id => new OfferMember { ProgramId = program.Id, OfferId = offer.Id, MemberId = id }));
            if (r.Rule is { } rule)
            {
                // The offer's rule: its audience as a condition, its window as the campaign window, active while the offer is.
                rule.ProgramId = program.Id;
                rule.CreatedAt = now;
                rule.Conditions = offer.SegmentId is { } s ? rule.Conditions with { Segments = [s] } : rule.Conditions with { OfferId = offer.Id };
                rule.StartsAt = offer.StartsAt;
                rule.EndsAt = offer.EndsAt;
                rule.Active = offer.Active;
                db.Set<EarningRule>().Add(rule);
                await db.SaveChangesAsync(c);
                offer.RuleId = rule.Id;
            }
            await db.SaveChangesAsync(c);
            return offer;
        }, ct);
    }

    public async Task<Offer> GetAsync(long programId, long offerId, CancellationToken ct) =>
        await db.Set<Offer>().AsNoTracking().SingleOrDefaultAsync(o => o.Id == offerId && o.ProgramId == programId, ct)
        ?? throw new LoyaltyException("UNKNOWN_OFFER", "no such offer in this program", 404);

    /// <summary>Changes whether the offer runs and when it ends; its bonus rule follows in the same transaction.</summary>
    public async Task<Offer> UpdateAsync(long programId, long offerId, bool? active, DateTime? endsAt, CancellationToken ct) =>
        await db.InWriteTransactionAsync(async c =>
        {
            var offer = await db.Set<Offer>().SingleOrDefaultAsync(o => o.Id == offerId && o.ProgramId == programId, c)
                        ?? throw new LoyaltyException("UNKNOWN_OFFER", "no such offer in this program", 404);
            if (endsAt is { } end)
            {
                if (end.ToUniversalTime() <= offer.StartsAt) throw new LoyaltyException("INVALID_OFFER", "endsAt must be after startsAt.");
                offer.EndsAt = end.ToUniversalTime();
            }
            if (active is { } a) offer.Active = a;
            if (offer.RuleId is { } ruleId)
                await db.Set<EarningRule>().Where(x => x.Id == ruleId)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.Active, offer.Active).SetProperty(x => x.EndsAt, offer.EndsAt), c);
            await db.SaveChangesAsync(c);
            return offer;
        }, ct);

    /// <summary>The live offers <paramref name="memberId"/> is in the audience of, newest first.</summary>
    public async Task<List<MemberOffer>> ForMemberAsync(LoyaltyProgram program, long memberId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var live = await db.Set<Offer>().AsNoTracking()
            .Where(o => o.ProgramId == program.Id && o.Active && o.StartsAt <= now && o.EndsAt > now).OrderByDescending(o => o.Id).ToListAsync(ct);
        if (live.Count == 0) return [];
        var (inSegments, onLists) = await AudiencesAsync(program, live, memberId, ct);
        var names = await db.Set<Segment>().AsNoTracking().Where(s => s.ProgramId == program.Id && inSegments.Contains(s.Id))
            .ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        return live.Where(o => o.SegmentId is { } s ? inSegments.Contains(s) : onLists.Contains(o.Id))
            .Select(o => new MemberOffer(o, o.SegmentId is { } s ? $"segment '{names[s]}'" : "personal offer (member list)")).ToList();
    }

    /// <summary>The lowest live reward_price offer for this member and reward below its regular cost, or null.</summary>
    public async Task<Offer?> BestPriceAsync(LoyaltyProgram program, Reward reward, long memberId, DateTime now, CancellationToken ct)
    {
        var candidates = await db.Set<Offer>().AsNoTracking()
            .Where(o => o.ProgramId == program.Id && o.RewardId == reward.Id && o.Kind == OfferKind.RewardPrice && o.Active
                        && o.StartsAt <= now && o.EndsAt > now && o.Cost < reward.Cost).ToListAsync(ct);
        if (candidates.Count == 0) return null;
        var (inSegments, onLists) = await AudiencesAsync(program, candidates, memberId, ct);
        return candidates.Where(o => o.SegmentId is { } s ? inSegments.Contains(s) : onLists.Contains(o.Id))
            .OrderBy(o => o.Cost).ThenBy(o => o.Id).FirstOrDefault();
    }

    /// <summary>Member-list offers (of <paramref name="offerIds"/>) each of <paramref name="memberIds"/> is on: one query, for an intake batch.</summary>
    public async Task<Dictionary<long, HashSet<long>>> ListedAsync(IReadOnlyCollection<long> offerIds, IReadOnlyCollection<long> memberIds,
        CancellationToken ct)
    {
        if (offerIds.Count == 0 || memberIds.Count == 0) return [];
        var rows = await db.Set<OfferMember>().AsNoTracking().Where(x => offerIds.Contains(x.OfferId) && memberIds.Contains(x.MemberId))
            .Select(x => new { x.MemberId, x.OfferId }).ToListAsync(ct);
        return rows.GroupBy(x => x.MemberId).ToDictionary(g => g.Key, g => g.Select(x => x.OfferId).ToHashSet());
    }

    private async Task<(HashSet<long> Segments, HashSet<long> Lists)> AudiencesAsync(LoyaltyProgram program, List<Offer> offers, long memberId,
        CancellationToken ct)
    {
        var segmentIds = offers.Where(o => o.SegmentId is not null).Select(o => o.SegmentId!.Value).Distinct().ToList();
        var memberships = await segments.MembershipsAsync(program, segmentIds, [memberId], ct);
        var listIds = offers.Where(o => o.SegmentId is null).Select(o => o.Id).ToList();
        var listed = await ListedAsync(listIds, [memberId], ct);
        return (memberships.GetValueOrDefault(memberId) ?? [], listed.GetValueOrDefault(memberId) ?? []);
    }
}
