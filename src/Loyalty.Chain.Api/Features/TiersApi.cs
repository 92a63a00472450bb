using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Members;
using Loyalty.Chain.Tiers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Tier policy and levels, invitation-only assignments, and each member's tier changes.</summary>
public static class TiersApi
{
    public sealed record AssignTierRequest(string? Tier);
    public sealed record TierChangePage(IReadOnlyList<TierChangeView> Items, long? NextBefore);

    public static RouteGroupBuilder MapTiers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Tiers");
        group.MapPut("/tiers", PutAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("tiers");
        group.MapGet("/tiers", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPost("/members/{memberId}/tier", AssignAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-tier-assign");
        group.MapDelete("/members/{memberId}/tier", RemoveAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("member-tier-remove");
        group.MapGet("/members/{memberId}/tier-changes", ChangesAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        return group;
    }

    private static async Task<Ok<TierPolicyView>> PutAsync(HttpContext http, TierPolicyRequest request, TierService tiers, CancellationToken ct) =>
        TypedResults.Ok(await tiers.SetPolicyAsync(http.Program().Id, request, ct));

    private static async Task<Ok<TierPolicyView>> GetAsync(HttpContext http, TierService tiers, CancellationToken ct) =>
        TypedResults.Ok(TierPolicyView.From(await tiers.GetPolicyAsync(http.Program().Id, ct)
                                            ?? throw new LoyaltyException("NO_TIER_POLICY", "this program has no tier policy", 404)));

    private static async Task<Ok<TierStatusView>> AssignAsync(HttpContext http, string memberId, AssignTierRequest request, MemberService members,
        TierService tiers, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        return TypedResults.Ok(await tiers.InviteAsync(program, member, request.Tier?.Trim(), ct));
    }

    private static async Task<Ok<TierStatusView>> RemoveAsync(HttpContext http, string memberId, MemberService members, TierService tiers,
        CancellationToken ct)
    {
        var program = http.Program();
        return TypedResults.Ok(await tiers.RemoveInvitationAsync(program, await members.GetAsync(program.Id, memberId, ct), ct));
    }

    private static async Task<Ok<TierChangePage>> ChangesAsync(HttpContext http, string memberId, long? before, int? limit, MemberService members,
        TierService tiers, CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var take = Math.Clamp(limit ?? 50, 1, 200);
        var items = await tiers.ChangesAsync(member.ProgramId, member.Id, before, take + 1, ct);
        var page = items.Take(take).ToList();
        return TypedResults.Ok(new TierChangePage(page, items.Count > take ? page[^1].Id : null));
    }
}
