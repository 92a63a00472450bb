using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>
/// Who the presented credential is: its role and program. The console and the till ask once after sign-in to show only
/// what the role may do; every route still checks the key itself. Never echoes the key.
/// </summary>
public static class MeApi
{
    /// <summary><paramref name="Root"/>: the deployment admin (admin of every program, no program of its own).</summary>
    public sealed record MeView(string Role, bool Root, long? ProgramId, string? ProgramName, long? KeyId, string? MemberId);

    public static RouteHandlerBuilder MapMe(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/me", MeAsync).WithTags("Programs")
            .WithMetadata(new ApiAuthMetadata(false, [ApiRole.Admin, ApiRole.Shop, ApiRole.Partner, ApiRole.Member]));

    private static async Task<Ok<MeView>> MeAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var principal = await ApiAuth.AuthenticateAsync(http)
                        ?? throw new LoyaltyException("UNAUTHORIZED", "a valid API key (X-Api-Key) or member token is required", StatusCodes.Status401Unauthorized);
        string? name = null;
        if (principal.ProgramId is { } programId)
            name = await db.Set<Programs.LoyaltyProgram>().AsNoTracking().Where(p => p.Id == programId).Select(p => p.Name).SingleOrDefaultAsync(ct);
        return TypedResults.Ok(new MeView(principal.Role.ToString().ToLowerInvariant(), principal.IsRoot, principal.ProgramId, name,
            principal.KeyId, principal.MemberId));
    }
}
