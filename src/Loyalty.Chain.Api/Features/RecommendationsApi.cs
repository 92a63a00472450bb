using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Recommendations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Rewards recommended to a member, with the score and its reason.</summary>
public static class RecommendationsApi
{
    public sealed record RecommendedView(long RewardId, string Name, string Cost, int Score, string Reason);
    public sealed record RecommendationsView(List<RecommendedView> Recommended);

    public static IEndpointRouteBuilder MapRecommendations(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/programs/{programId:long}/members/{memberId}/recommendations", GetAsync).WithTags("Recommendations")
            .RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        return routes;
    }

    private static async Task<Ok<RecommendationsView>> GetAsync(HttpContext http, string memberId, string? limit, MemberService members,
        RewardRecommender recommender, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var list = await recommender.RecommendAsync(program, member, LeaderboardApi.Limit(limit, 5, RewardRecommender.MaxLimit), ct);
        return TypedResults.Ok(new RecommendationsView(list.Select(r => new RecommendedView(r.RewardId, r.Name, r.Cost.ToString(), r.Score, r.Reason)).ToList()));
    }
}
