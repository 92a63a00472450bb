using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>PATCH /programs/{id}: the program's settings and policies (only the properties given change).</summary>
public static class ProgramSettingsApi
{
    public sealed record ProgramPatch(ExpiryPolicyRequest? Expiry, string? Returns);

    public static RouteGroupBuilder MapProgramSettings(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs").WithTags("Programs");
        group.MapPatch("/{programId:long}", PatchAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("program-patch");
        return group;
    }

    private static async Task<Ok<object>> PatchAsync(HttpContext http, ProgramPatch patch, LoyaltyDbContext db, ProgramCache cache,
        Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var id = http.Program().Id;
        var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == id, ct);
        if (patch.Expiry is { } expiry) ProgramPolicies.ApplyExpiry(program, expiry);
        if (patch.Returns is not null) ProgramPolicies.ApplyReturns(program, patch.Returns);
        await db.InWriteTransactionAsync(async c => { await db.SaveChangesAsync(c); return true; }, ct);
        cache.Forget(id);
        return TypedResults.Ok<object>(new { program = ProgramsApi.View(program, chain.ChainId), expiry = ProgramPolicies.ExpiryView(program),
            returns = program.ReturnPolicy.ToString().ToLowerInvariant() });
    }
}
