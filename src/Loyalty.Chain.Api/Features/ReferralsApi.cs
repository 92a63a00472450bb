using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Referrals;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>The referral policy, and a member's code and referrals (enrolment with a code is on POST /members).</summary>
public static class ReferralsApi
{
    public static RouteGroupBuilder MapReferrals(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Referrals");
        group.MapPut("/referrals/policy", PutAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("referral-policy");
        group.MapGet("/referrals/policy", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapGet("/members/{memberId}/referrals", MemberAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        return group;
    }

    private static async Task<Ok<ReferralPolicyView>> PutAsync(HttpContext http, ReferralPolicyRequest request, ReferralService referrals,
        CancellationToken ct) =>
        TypedResults.Ok(ReferralPolicyView.From(await referrals.SetPolicyAsync(http.Program().Id, request, ct)));

    private static async Task<Ok<ReferralPolicyView>> GetAsync(HttpContext http, ReferralService referrals, CancellationToken ct) =>
        TypedResults.Ok(ReferralPolicyView.From(await referrals.GetPolicyAsync(http.Program().Id, ct)
                                                ?? throw new LoyaltyException("NO_REFERRAL_POLICY", "this program has no referral policy", 404)));

    private static async Task<Ok<MemberReferralsView>> MemberAsync(HttpContext http, string memberId, MemberService members, ReferralService referrals,
        CancellationToken ct)
    {
        var program = http.Program();
        return TypedResults.Ok(await referrals.ViewAsync(program, await members.GetAsync(program.Id, memberId, ct), ct,
            asMember: http.Caller().Role == ApiRole.Member));
    }
}
