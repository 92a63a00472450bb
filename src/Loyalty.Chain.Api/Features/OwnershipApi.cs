using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Ownership;
using Loyalty.Chain.Programs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Who holds a program's on-chain roles: the hand-over of the admin roles to the brand, and minter rotation.</summary>
public static class OwnershipApi
{
    public sealed record HandoverRequest(string? NewAdmin);
    public sealed record HandoverAccepted(string Status, string? NewAdmin, string? Detail);
    public sealed record OwnershipResponse(string? Admin, bool HandedOver, string Status, string? Detail, string? NewAdmin,
        ServiceRolesView ServiceRoles, KeyRolesView? BrandRoles, string OperatorAddress, RotationView Rotation);

    public static RouteGroupBuilder MapOwnership(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Ownership");
        group.MapGet("/ownership", GetAsync).RequireProgramRole(ApiRole.Admin);
        group.MapPost("/ownership", HandOverAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("program-ownership");
        group.MapPost("/minter/rotate", RotateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("minter-rotate");
        return group;
    }

    /// <summary>Read fresh (not the 5 s program cache) and from the chain: hasRole for every service key and the brand.</summary>
    private static async Task<Ok<OwnershipResponse>> GetAsync(HttpContext http, LoyaltyDbContext db, Loyalty.Chain.Chain.Web3Factory web3, CancellationToken ct)
    {
        var p = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(x => x.Id == http.Program().Id, ct);
        var v = await OwnershipView.ReadAsync(web3.Get(), p);
        return TypedResults.Ok(new OwnershipResponse(v.Admin, v.HandedOver, v.Status, v.Detail, v.NewAdmin, v.ServiceRoles, v.BrandRoles,
            v.OperatorAddress, MinterRotation.View(p)));
    }

    private static async Task<Accepted<HandoverAccepted>> HandOverAsync(HttpContext http, HandoverRequest request, OwnershipHandover handover,
        ProgramCache cache, CancellationToken ct)
    {
        var program = await handover.RequestAsync(http.Program().Id, request.NewAdmin, http.Caller().Actor, ct);
        cache.Forget(program.Id);
        return TypedResults.Accepted($"/v1/programs/{program.Id}/ownership",
            new HandoverAccepted(program.HandoverStatus.ToString().ToLowerInvariant(), program.BrandAdmin, program.HandoverDetail));
    }

    private static async Task<Accepted<RotationView>> RotateAsync(HttpContext http, MinterRotation rotation, ProgramCache cache, CancellationToken ct)
    {
        var id = http.Program().Id;
        var view = await rotation.RotateAsync(id, http.Caller().Actor, ct);
        cache.Forget(id);
        return TypedResults.Accepted($"/v1/programs/{id}/ownership", view);
    }
}
