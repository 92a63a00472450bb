using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Loyalty.Chain.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Api.Features;

/// <summary>The reward catalog of a program.</summary>
public static class RewardsApi
{
    public sealed record RewardRequest(RewardType? Type, string? Name, string? Description, string? Cost, int? Stock, int? PerMemberLimit,
        string[]? Tiers, Dictionary<string, string>? Attributes, DateTime? ValidFrom, DateTime? ValidUntil, CouponSource? Coupons,
        long? DropId, bool? Active, int? CouponValidDays = null, long? CauseId = null, long? SegmentId = null);
    public sealed record RewardView(long Id, string Type, string Name, string? Description, string Cost, int? Stock, int Issued,
        int? PerMemberLimit, string[] Tiers, Dictionary<string, string> Attributes, DateTime? ValidFrom, DateTime? ValidUntil,
        string Coupons, long? DropId, bool Active, int? CouponValidDays = null, long? CauseId = null, long? SegmentId = null);
    public sealed record CouponPool(List<string>? Codes);

    public static RouteGroupBuilder MapRewards(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}/rewards").WithTags("Rewards");
        group.MapGet("/", ListAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop);
        group.MapPost("/", CreateAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("rewards");
        group.MapPost("/{rewardId:long}/coupons", UploadCouponsAsync).RequireProgramRole(ApiRole.Admin).WithIdempotency("coupons");
        return group;
    }

    private static async Task<Ok<List<RewardView>>> ListAsync(HttpContext http, LoyaltyDbContext db, CancellationToken ct)
    {
        var id = http.Program().Id;
        return TypedResults.Ok((await db.Set<Reward>().AsNoTracking().Where(r => r.ProgramId == id).OrderBy(r => r.Id).ToListAsync(ct)).Select(View).ToList());
    }

    private static async Task<Created<RewardView>> CreateAsync(HttpContext http, RewardRequest r, LoyaltyDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 200) throw new LoyaltyException("INVALID_REWARD", "name is required (at most 200 characters)");
        if (!Amounts.TryParsePoints(r.Cost, out var cost))
            throw new LoyaltyException("INVALID_AMOUNT", "cost must be a whole number of points as a plain decimal string");
        if (cost <= 0) throw new LoyaltyException("INVALID_REWARD", "cost must be a positive whole number of points (decimal string)");
        // The JSON converter takes named values only; these also catch values set any other way.
        if (r.Type is { } t && !Enum.IsDefined(t)) throw new LoyaltyException("INVALID_REWARD", "unknown reward type");
        if (r.Coupons is { } c && !Enum.IsDefined(c)) throw new LoyaltyException("INVALID_REWARD", "unknown coupon source");
        if (r.Tiers?.Any(string.IsNullOrWhiteSpace) == true || r.Attributes?.Any(a => a.Value is null) == true)
            throw new LoyaltyException("INVALID_REWARD", "tiers and attribute values must not be null or blank");
        if (r.Stock is < 0 || r.PerMemberLimit is < 1) throw new LoyaltyException("INVALID_REWARD", "stock must be >= 0 and perMemberLimit >= 1");
        if (r.ValidFrom is { } f && r.ValidUntil is { } u && u <= f) throw new LoyaltyException("INVALID_REWARD", "validUntil must be after validFrom");
        if (r.CouponValidDays is < 1 or > 3660) throw new LoyaltyException("INVALID_REWARD", "couponValidDays must be 1-3660");
        var type = r.Type ?? RewardType.DiscountCoupon;
        var reward = new Reward
        {
            ProgramId = http.Program().Id, Type = type, Name = r.Name.Trim(), Description = r.Description, Cost = cost, Stock = r.Stock,
            PerMemberLimit = r.PerMemberLimit, Tiers = r.Tiers ?? [], Attributes = r.Attributes ?? new(), ValidFrom = r.ValidFrom?.ToUniversalTime(),
            ValidUntil = r.ValidUntil?.ToUniversalTime(), DropId = r.DropId, CouponValidDays = r.CouponValidDays, Active = r.Active ?? true, CreatedAt = time.GetUtcNow().UtcDateTime,
            SegmentId = r.SegmentId,
            Coupons = r.Coupons ?? (type is RewardType.DiscountCoupon or RewardType.FreeShipping or RewardType.PartnerVoucher ? CouponSource.Generated : CouponSource.None),
        };
        if (type == RewardType.Collectible && reward.DropId is null) throw new LoyaltyException("INVALID_REWARD", "a collectible reward needs a dropId");
        // Donations (issue 13): a Donation names its cause and hands out nothing but the burn; no other type names a cause.
        if (type == RewardType.Donation && r.CauseId is null) throw new LoyaltyException("CAUSE_REQUIRED", "a donation reward needs a causeId");
        if (type != RewardType.Donation && r.CauseId is not null) throw new LoyaltyException("CAUSE_NOT_ALLOWED", "only a Donation reward names a causeId");
        if (type == RewardType.Donation && (r.Coupons is not (null or CouponSource.None) || r.DropId is not null))
            throw new LoyaltyException("INVALID_REWARD", "a donation reward has no coupons and no drop");
        if (r.CauseId is { } causeId && !await db.Set<Donations.Cause>().AnyAsync(c => c.Id == causeId && c.ProgramId == reward.ProgramId, ct))
            throw new LoyaltyException("UNKNOWN_CAUSE", $"no cause {causeId} in this program", 404);
        reward.CauseId = r.CauseId;
        if (reward.DropId is { } dropId && !await db.Set<Collectibles.Drop>().AnyAsync(d => d.Id == dropId && d.ProgramId == reward.ProgramId, ct))
            throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        if (reward.SegmentId is { } segmentId)
            await http.RequestServices.GetRequiredService<Segments.SegmentService>().EnsureExistAsync(reward.ProgramId, [segmentId], ct);
        db.Set<Reward>().Add(reward);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/programs/{reward.ProgramId}/rewards/{reward.Id}", View(reward));
    }

    /// <summary>Uploads a pool of pre-made codes (e.g. from a partner); each is handed out once.</summary>
    private static async Task<Ok<object>> UploadCouponsAsync(HttpContext http, long rewardId, CouponPool pool, LoyaltyDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var programId = http.Program().Id;
        var reward = await db.Set<Reward>().SingleOrDefaultAsync(r => r.Id == rewardId && r.ProgramId == programId, ct)
                     ?? throw new LoyaltyException("UNKNOWN_REWARD", "no such reward in this program", 404);
        if (pool.Codes?.Any(c => c is null) == true) throw new LoyaltyException("INVALID_COUPONS", "codes must be strings, not null");
        var codes = (pool.Codes ?? []).Select(c => c.Trim()).Where(c => c.Length > 0).Distinct().ToList();
        if (codes.Count is 0 or > 10_000 || codes.Any(c => c.Length > 64 || c.Any(char.IsControl)))
            throw new LoyaltyException("INVALID_COUPONS", "send 1 to 10,000 codes of at most 64 characters, without control characters");
        if (await db.Set<CouponCode>().AnyAsync(c => c.ProgramId == programId && codes.Contains(c.Code), ct))
            throw new LoyaltyException("DUPLICATE_COUPON", "some codes already exist in this program", 409);
        var now = time.GetUtcNow().UtcDateTime;
        db.Set<CouponCode>().AddRange(codes.Select(c => new CouponCode { ProgramId = programId, RewardId = reward.Id, Code = c, CreatedAt = now }));
        reward.Coupons = CouponSource.Pool;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok<object>(new { added = codes.Count });
    }

    private static RewardView View(Reward r) => new(r.Id, r.Type.ToString(), r.Name, r.Description, r.Cost.ToString(), r.Stock, r.Issued,
        r.PerMemberLimit, r.Tiers, r.Attributes, r.ValidFrom, r.ValidUntil, r.Coupons.ToString(), r.DropId, r.Active, r.CouponValidDays, r.CauseId, r.SegmentId);
}
