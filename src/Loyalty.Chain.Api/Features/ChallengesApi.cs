using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Challenges;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Challenges and journeys: definitions (admin), and each member's progress, completions, streaks and awards.</summary>
public static class ChallengesApi
{
    public static RouteGroupBuilder MapChallenges(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Challenges");
        group.MapPost("/challenges", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("challenges");
        group.MapGet("/challenges", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapGet("/challenges/{challengeId:long}", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPatch("/challenges/{challengeId:long}", UpdateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("challenge-update");
        group.MapGet("/members/{memberId}/challenges", MemberAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        return group;
    }

    private static async Task<Created<ChallengeView>> CreateAsync(HttpContext http, ChallengeRequest request, ChallengeService challenges,
        CancellationToken ct)
    {
        var created = await challenges.CreateAsync(http.Program().Id, request, ct);
        return TypedResults.Created($"/v1/programs/{created.ProgramId}/challenges/{created.Id}", ChallengeView.From(created));
    }

    private static async Task<Ok<List<ChallengeView>>> ListAsync(HttpContext http, ChallengeService challenges, CancellationToken ct) =>
        TypedResults.Ok((await challenges.ListAsync(http.Program().Id, ct)).Select(ChallengeView.From).ToList());

    private static async Task<Ok<ChallengeView>> GetAsync(HttpContext http, long challengeId, ChallengeService challenges, CancellationToken ct) =>
        TypedResults.Ok(ChallengeView.From(await challenges.GetAsync(http.Program().Id, challengeId, ct)));

    private static async Task<Ok<ChallengeView>> UpdateAsync(HttpContext http, long challengeId, ChallengePatch request, ChallengeService challenges,
        CancellationToken ct) =>
        TypedResults.Ok(ChallengeView.From(await challenges.UpdateAsync(http.Program().Id, challengeId, request, ct)));

    private static async Task<Ok<List<MemberChallengeView>>> MemberAsync(HttpContext http, string memberId, MemberService members,
        MemberChallenges progress, CancellationToken ct)
    {
        var program = http.Program();
        return TypedResults.Ok(await progress.ForMemberAsync(program, await members.GetAsync(program.Id, memberId, ct), ct));
    }
}
