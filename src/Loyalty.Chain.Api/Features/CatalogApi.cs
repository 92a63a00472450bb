using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Recommendations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>
/// The reward catalog as one member sees it (the portal's Rewards view): every active reward they may redeem by
/// eligibility, at their price, with stock left and whether their available balance covers it. The program-wide
/// <c>GET …/rewards</c> stays admin and shop: it shows segment-only rewards, stock counts and coupon settings.
/// </summary>
public static class CatalogApi
{
    public sealed record CatalogItemView(long RewardId, string Type, string Name, string? Description, string Cost, string RegularCost,
        long? OfferId, int? StockLeft, int? PerMemberLimit, bool LimitReached, bool Affordable, bool Redeemable, long? CauseId);
    public sealed record CatalogView(string Available, List<CatalogItemView> Items);

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder routes)
    {
        // Not shop: a till has no need for one member's prices and offers; the member's own token or an admin.
        routes.MapGet("/v1/programs/{programId:long}/members/{memberId}/catalog", GetAsync).WithTags("Rewards")
            .WithSummary("The member's reward catalog: eligible rewards at the member's price, stock left, affordable")
            .RequireProgramRole(ApiRole.Admin, ApiRole.Member);
        return routes;
    }

    private static async Task<Ok<CatalogView>> GetAsync(HttpContext http, string memberId, MemberService members, RewardCatalog catalog,
        CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var (available, items) = await catalog.ForMemberAsync(program, member, ct);
        var blocked = member.BlockedAt is not null;
        return TypedResults.Ok(new CatalogView(available.ToString(), items.Select(e => new CatalogItemView(e.Reward.Id, e.Reward.Type.ToString(),
            e.Reward.Name, e.Reward.Description, e.Cost.ToString(), e.Reward.Cost.ToString(), e.OfferId, e.StockLeft, e.Reward.PerMemberLimit,
            e.LimitReached, e.Affordable, !blocked && e.Affordable && e.InStock && !e.LimitReached, e.Reward.CauseId)).ToList()));
    }
}
