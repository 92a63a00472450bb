using Loyalty.Chain.Access;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Redemption;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>Members redeem points for rewards; self-custody members sign the burn in their own wallet.</summary>
public static class RedemptionsApi
{
    public sealed record RedeemRequest(long? RewardId);
    public sealed record SignatureRequest(string? Signature);
    public sealed record RedemptionView(long Id, string MemberId, long RewardId, string Cost, string Status, string? CouponCode, string Owner,
        bool SelfCustody, string? FailureCode, DateTime CreatedAt, object? TypedDataToSign, DateTime? IssuedAt = null, DateTime? VoidedAt = null,
        string? CouponStatus = null, string Kind = "Reward", long? OfferId = null);

    public static RouteGroupBuilder MapRedemptions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Redemptions");
        group.MapPost("/members/{memberId}/redemptions", RedeemAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member)
            .WithIdempotency(RedemptionService.IdempotencyScope, inTransaction: true);
        group.MapGet("/redemptions/{redemptionId:long}", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member);
        group.MapPost("/redemptions/{redemptionId:long}/signature", SignAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member)
            .WithIdempotency("redemption-signature");
        group.MapPost("/redemptions/{redemptionId:long}/cancel", CancelAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member)
            .WithIdempotency("redemption-cancel");
        group.MapPost("/redemptions/{redemptionId:long}/void", VoidAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("redemption-void");
        return group;
    }

    private static async Task<Results<Created<RedemptionView>, Ok<RedemptionView>>> RedeemAsync(HttpContext http, string memberId, RedeemRequest request,
        MemberService members, RedemptionService redemptions, Loyalty.Chain.Api.Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var program = http.Program();
        var member = await members.GetAsync(program.Id, memberId, ct);
        if (request.RewardId is not { } rewardId) throw new LoyaltyException("INVALID_REWARD", "rewardId is required");
        var (r, replayed) = await redemptions.RedeemAsync(program, member, rewardId, http.Idempotency(), ct);
        var view = await ViewAsync(http, r, member.ExternalId, redemptions, chain, ct);
        if (replayed)
        {
            http.MarkReplayed();
            return TypedResults.Ok(view);
        }
        return TypedResults.Created($"/v1/programs/{program.Id}/redemptions/{r.Id}", view);
    }

    private static async Task<Ok<RedemptionView>> GetAsync(HttpContext http, long redemptionId, LoyaltyDbContext db, RedemptionService redemptions,
        Loyalty.Chain.Api.Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var (r, memberId) = await LoadAsync(http, db, redemptionId, ct);
        return TypedResults.Ok(await ViewAsync(http, r, memberId, redemptions, chain, ct));
    }

    private static async Task<Ok<RedemptionView>> SignAsync(HttpContext http, long redemptionId, SignatureRequest request, LoyaltyDbContext db,
        RedemptionService redemptions, Loyalty.Chain.Api.Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var (r, memberId) = await LoadAsync(http, db, redemptionId, ct);
        var signed = await redemptions.SubmitSignatureAsync(http.Program(), r, request.Signature ?? "", ct);
        return TypedResults.Ok(await ViewAsync(http, signed, memberId, redemptions, chain, ct));
    }

    private static async Task<Ok<RedemptionView>> CancelAsync(HttpContext http, long redemptionId, LoyaltyDbContext db, RedemptionService redemptions,
        Loyalty.Chain.Api.Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var (_, memberId) = await LoadAsync(http, db, redemptionId, ct);
        var caller = http.Caller();
        var r = await redemptions.CancelAsync(http.Program(), redemptionId, byAdmin: caller.IsRoot || caller.Role == ApiRole.Admin, ct);
        return TypedResults.Ok(await ViewAsync(http, r, memberId, redemptions, chain, ct));
    }

    /// <summary>Admin only: undoes a redemption whose reward was handed out; its code is void from then on.</summary>
    private static async Task<Ok<RedemptionView>> VoidAsync(HttpContext http, long redemptionId, LoyaltyDbContext db, RedemptionService redemptions,
        Loyalty.Chain.Api.Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        var (_, memberId) = await LoadAsync(http, db, redemptionId, ct);
        var r = await redemptions.CancelAsync(http.Program(), redemptionId, byAdmin: true, ct);
        return TypedResults.Ok(await ViewAsync(http, r, memberId, redemptions, chain, ct));
    }

    private static async Task<(Redemption.Redemption, string)> LoadAsync(HttpContext http, LoyaltyDbContext db, long id, CancellationToken ct)
    {
        var programId = http.Program().Id;
        var row = await (from r in db.Set<Redemption.Redemption>() join m in db.Set<Member>() on r.MemberId equals m.Id
                         where r.Id == id && r.ProgramId == programId select new { r, m.ExternalId }).AsNoTracking().SingleOrDefaultAsync(ct)
                  ?? throw new LoyaltyException("UNKNOWN_REDEMPTION", "no such redemption", 404);
        return (row.r, row.ExternalId);
    }

    /// <summary>For a self-custody redemption awaiting signature: the EIP-712 typed data exactly as eth_signTypedData_v4 takes it.</summary>
    private static async Task<RedemptionView> ViewAsync(HttpContext http, Redemption.Redemption r, string memberId, RedemptionService redemptions,
        Loyalty.Chain.Api.Chain.ChainOptionsAccessor chain, CancellationToken ct)
    {
        object? typedData = null;
        if (r.Status == RedemptionStatus.AwaitingSignature)
        {
            var program = http.Program();
            var burn = await redemptions.BurnToSignAsync(program, r, ct);
            typedData = LoyaltyTypedData.ToWalletJson(burn, program.PointName, chain.ChainId, program.PointsContract!);
        }
        return new RedemptionView(r.Id, memberId, r.RewardId, r.Cost.ToString(), r.Status.ToString(), r.CouponCode, r.Owner, r.SelfCustody,
            r.FailureCode, r.CreatedAt, typedData, r.IssuedAt, r.VoidedAt,
            r.CouponCode is null ? null : r.VoidedAt is not null ? "Void"
                : await http.RequestServices.GetRequiredService<LoyaltyDbContext>().Set<CouponCode>()
                    .AnyAsync(c => c.RedemptionId == r.Id && c.UsedAt != null, ct) ? "Used" : "Active", r.Kind.ToString(), r.OfferId);
    }
}
