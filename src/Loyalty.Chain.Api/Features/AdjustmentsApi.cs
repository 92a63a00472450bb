using Loyalty.Chain.Access;
using Loyalty.Chain.Adjustments;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Expiry;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Adjustments by an admin (grant, deduct) and the expiry pass run on demand.</summary>
public static class AdjustmentsApi
{
    public sealed record AdjustmentView(long Id, string MemberId, string Type, string Points, string Applied, string Shortfall,
        string CancelledBeforeMint, string Burned, long? BurnId, string Reason, string? Comment, string Actor, DateTime CreatedAt);

    /// <param name="Warned">points.expiring_soon warnings written for what is left (each member and expiry date once).</param>
    public sealed record ExpiryRunView(int Members, string Expired, string CancelledBeforeMint, string Burning, int Warned);

    public static RouteGroupBuilder MapAdjustments(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Adjustments");
        group.MapPost("/members/{memberId}/adjustments", AdjustAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("adjustments");
        group.MapGet("/members/{memberId}/adjustments", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        group.MapPost("/expiry/run", RunExpiryAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("expiry-run");
        return group;
    }

    private static async Task<Created<AdjustmentView>> AdjustAsync(HttpContext http, string memberId, AdjustmentRequest request,
        MemberService members, AdjustmentService adjustments, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        var a = await adjustments.AdjustAsync(program, member, request, http.Caller().Actor, ct);
        return TypedResults.Created($"/v1/programs/{program.Id}/members/{member.ExternalId}/adjustments", View(a, member.ExternalId));
    }

    private static async Task<Ok<List<AdjustmentView>>> ListAsync(HttpContext http, string memberId, MemberService members, LoyaltyDbContext db,
        CancellationToken ct)
    {
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var rows = await db.Set<Adjustment>().AsNoTracking().Where(a => a.ProgramId == member.ProgramId && a.MemberId == member.Id)
            .OrderByDescending(a => a.Id).Take(200).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(a => View(a, member.ExternalId)).ToList());
    }

    /// <summary>Runs the daily expiry pass for this program now (what is due; nothing early).</summary>
    private static async Task<Ok<ExpiryRunView>> RunExpiryAsync(HttpContext http, ExpiryService expiry, ExpiryReminderService reminders,
        CancellationToken ct)
    {
        var r = await expiry.RunProgramAsync(http.Program(), ct);
        // Then the warnings of what is left, as the daily pass does.
        var warned = await reminders.RunProgramAsync(http.Program(), ct);
        return TypedResults.Ok(new ExpiryRunView(r.Members, r.Expired.ToString(), r.CancelledBeforeMint.ToString(), r.Burning.ToString(), warned));
    }

    private static AdjustmentView View(Adjustment a, string memberId) => new(a.Id, memberId, a.Type.ToString().ToLowerInvariant(), a.Points.ToString(),
        a.Applied.ToString(), a.Shortfall.ToString(), a.CancelledBeforeMint.ToString(), a.Burned.ToString(), a.BurnId, a.Reason, a.Comment, a.Actor, a.CreatedAt);
}
