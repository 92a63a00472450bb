using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Offers;
using Loyalty.Chain.Redemption;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Personal offers for a segment or a member list, and the offers one member sees.</summary>
public static class OffersApi
{
    public sealed record OfferRequest(string? Name, string? Description, string? Kind, long? SegmentId, List<string>? MemberIds,
        DateTime? StartsAt, DateTime? EndsAt, bool? Active, long? RewardId, string? Cost, RulesApi.RuleRequest? Rule);
    public sealed record OfferPatch(bool? Active, DateTime? EndsAt);
    public sealed record OfferView(long Id, string Name, string? Description, string Kind, long? SegmentId, int ListedMembers, DateTime StartsAt,
        DateTime EndsAt, bool Active, long? RewardId, string? Cost, long? RuleId, DateTime CreatedAt);
    public sealed record RewardPart(long Id, string Name, string RegularCost, string Cost);
    public sealed record MemberOfferView(long Id, string Name, string? Description, string Kind, RewardPart? Reward, RulesApi.RuleView? Rule,
        DateTime EndsAt, string Why);
    public sealed record MemberOffers(List<MemberOfferView> Offers, List<RecommendationsApi.RecommendedView> Recommended);

    public static RouteGroupBuilder MapOffers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Offers");
        group.MapGet("/offers", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPost("/offers", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("offers");
        group.MapGet("/offers/{offerId:long}", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPatch("/offers/{offerId:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("offer-update");
        group.MapGet("/members/{memberId}/offers", ForMemberAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        return group;
    }

    private static async Task<Ok<List<OfferView>>> ListAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var id = http.Program().Id;
        return TypedResults.Ok((await db.Set<Offer>().AsNoTracking().Where(o => o.ProgramId == id).OrderBy(o => o.Id).ToListAsync(ct)).Select(View).ToList());
    }

    private static async Task<Created<OfferView>> CreateAsync(HttpContext http, OfferRequest r, OfferService offers, CancellationToken ct)
    {
        var program = http.Program();
        var kind = r.Kind switch
        {
            "reward_price" => OfferKind.RewardPrice,
            "bonus_rule" => OfferKind.BonusRule,
            _ => throw new LoyaltyException("INVALID_OFFER", "kind must be reward_price or bonus_rule"),
        };
        if (r.MemberIds?.Any(x => x is null) == true) throw new LoyaltyException("INVALID_OFFER", "memberIds must not contain null");
        EarningRule? rule = null;
        if (r.Rule is { } request)
        {
            rule = new EarningRule { ProgramId = program.Id };
            RulesApi.Apply(rule, request);
        }
        var offer = await offers.CreateAsync(program, new NewOffer(r.Name, r.Description, kind, r.SegmentId, r.MemberIds, r.StartsAt, r.EndsAt,
            r.Active, r.RewardId, r.Cost, rule), ct);
        return TypedResults.Created($"/v1/programs/{program.Id}/offers/{offer.Id}", View(offer));
    }

    private static async Task<Ok<OfferView>> GetAsync(HttpContext http, long offerId, OfferService offers, CancellationToken ct) =>
        TypedResults.Ok(View(await offers.GetAsync(http.Program().Id, offerId, ct)));

    private static async Task<Ok<OfferView>> UpdateAsync(HttpContext http, long offerId, OfferPatch patch, OfferService offers, CancellationToken ct) =>
        TypedResults.Ok(View(await offers.UpdateAsync(http.Program().Id, offerId, patch.Active, patch.EndsAt, ct)));

    private static async Task<Ok<MemberOffers>> ForMemberAsync(HttpContext http, string memberId, MemberService members, OfferService offers,
        Loyalty.Chain.Recommendations.RewardRecommender recommender, LoyaltyDbContext db, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var shown = await offers.ForMemberAsync(program, member.Id, ct);
        var rewardIds = shown.Select(x => x.Offer.RewardId).OfType<long>().ToList();
        var ruleIds = shown.Select(x => x.Offer.RuleId).OfType<long>().ToList();
        var rewards = await db.Set<Reward>().AsNoTracking().Where(x => rewardIds.Contains(x.Id)).ToDictionaryAsync(x => x.Id, ct);
        var rules = await db.Set<EarningRule>().AsNoTracking().Where(x => ruleIds.Contains(x.Id)).ToDictionaryAsync(x => x.Id, ct);
        var views = shown.Select(x =>
        {
            var o = x.Offer;
            var reward = o.RewardId is { } rid && rewards.TryGetValue(rid, out var rw)
                ? new RewardPart(rw.Id, rw.Name, rw.Cost.ToString(), Math.Min(rw.Cost, o.Cost ?? rw.Cost).ToString()) : null;
            var rule = o.RuleId is { } ruleId && rules.TryGetValue(ruleId, out var ru) ? RulesApi.View(ru) : null;
            return new MemberOfferView(o.Id, o.Name, o.Description, KindName(o.Kind), reward, rule, o.EndsAt, x.Why);
        }).ToList();
        // Next to the offers, the rewards the member could redeem, ranked by their category history and affordability.
        var recommended = await recommender.RecommendAsync(program, member, 5, ct);
        return TypedResults.Ok(new MemberOffers(views, recommended
            .Select(r => new RecommendationsApi.RecommendedView(r.RewardId, r.Name, r.Cost.ToString(), r.Score, r.Reason)).ToList()));
    }

    private static string KindName(OfferKind kind) => kind == OfferKind.RewardPrice ? "reward_price" : "bonus_rule";

    private static OfferView View(Offer o) => new(o.Id, o.Name, o.Description, KindName(o.Kind), o.SegmentId, o.ListedMembers, o.StartsAt, o.EndsAt,
        o.Active, o.RewardId, o.Cost?.ToString(), o.RuleId, o.CreatedAt);
}
