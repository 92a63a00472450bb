using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Coupons;

public sealed record CouponReward(long Id, string Name, string Type);
public sealed record CouponMember(string MemberId);

/// <summary>What a till sees for a code. <see cref="Reason"/> is VOID, USED, EXPIRED or UNKNOWN when not valid.</summary>
public sealed record CouponCheck(string Code, bool Valid, string? Reason, CouponReward? Reward, CouponMember? Member, DateTime? ExpiresAt,
    DateTime? UsedAt, string? OrderId = null);

/// <summary>
/// Coupon codes at the till: check one, and use it once. A code counts only once it was handed out to a member
/// (a pool code still in the pool is UNKNOWN), and only in its own program: another program's code is UNKNOWN,
/// exactly like a code that does not exist, so a till learns nothing about other programs.
/// </summary>
public sealed class CouponTill(LoyaltyDbContext db, TimeProvider time)
{
    public const int MaxOrderIdLength = 128;

    public static string Normalize(string code) => code.Trim().ToUpperInvariant();

    public async Task<CouponCheck> ValidateAsync(long programId, string code, CancellationToken ct)
    {
        var found = await FindAsync(programId, code, ct);
        if (found is null) return new CouponCheck(Normalize(code), false, "UNKNOWN", null, null, null, null);
        return Check(found.Value.Coupon, found.Value.Reward, found.Value.MemberId, time.GetUtcNow().UtcDateTime);
    }

    /// <summary>
    /// Marks the code used by one conditional update (UPDATE … WHERE UsedAt IS NULL AND VoidedAt IS NULL AND not
    /// expired), so of two tills using one code at once exactly one wins; the other learns when it was used.
    /// </summary>
    public async Task<CouponCheck> UseAsync(long programId, string code, long? keyId, string? orderId, CancellationToken ct)
    {
        if (orderId is not null) Validation.Ids.Validate(orderId, "orderId");
        var found = await FindAsync(programId, code, ct)
                    ?? throw new LoyaltyException("UNKNOWN_COUPON", "no such coupon code in this program", 404);
        var id = found.Coupon.Id;
        var now = time.GetUtcNow().UtcDateTime;
        var used = await db.InWriteTransactionAsync(async c =>
        {
            var n = await db.Set<CouponCode>()
                .Where(x => x.Id == id && x.UsedAt == null && x.VoidedAt == null && (x.ExpiresAt == null || x.ExpiresAt > now))
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.UsedAt, now).SetProperty(x => x.UsedByKeyId, keyId)
                    .SetProperty(x => x.UsedOrderId, orderId), c);
            if (n == 1 && found.Coupon.RedemptionId is { } redemptionId
                && await db.Set<Redemption.Redemption>().Where(r => r.Id == redemptionId).Select(r => (long?)r.MemberId).SingleOrDefaultAsync(c) is { } memberId)
            {
                Webhooks.PointsEvents.ForMember(db, programId, memberId, "coupon.used", m => new
                {
                    programId, memberId = m, redemptionId, rewardId = found.Reward.Id, orderId,
                });
                await db.SaveChangesAsync(c);
            }
            return n;
        }, ct);
        var coupon = await db.Set<CouponCode>().AsNoTracking().SingleAsync(x => x.Id == id, ct);
        if (used == 1) return Check(coupon, found.Reward, found.MemberId, now) with { OrderId = orderId };
        if (coupon.UsedAt is { } at)
            throw new LoyaltyException("COUPON_ALREADY_USED", $"the coupon was already used at {at:yyyy-MM-ddTHH:mm:ssZ}", 409);
        if (coupon.VoidedAt is not null)
            throw new LoyaltyException("COUPON_VOID", "the coupon's redemption was voided or refunded", 409);
        throw new LoyaltyException("COUPON_EXPIRED", $"the coupon expired at {coupon.ExpiresAt:yyyy-MM-ddTHH:mm:ssZ}", 409);
    }

    private static CouponCheck Check(CouponCode c, Reward reward, string memberId, DateTime now)
    {
        var reason = c.VoidedAt is not null ? "VOID" : c.UsedAt is not null ? "USED" : c.ExpiresAt is { } e && e <= now ? "EXPIRED" : null;
        return new CouponCheck(c.Code, reason is null, reason, new CouponReward(reward.Id, reward.Name, reward.Type.ToString()),
            new CouponMember(memberId), c.ExpiresAt, c.UsedAt, c.UsedOrderId);
    }

    private async Task<(CouponCode Coupon, Reward Reward, string MemberId)?> FindAsync(long programId, string code, CancellationToken ct)
    {
        var normalized = Normalize(code);
        var trimmed = code.Trim(); // pool codes are stored as uploaded
        if (normalized.Length is 0 or > 64) return null;
        var row = await (from c in db.Set<CouponCode>().AsNoTracking()
                         where c.ProgramId == programId && (c.Code == normalized || c.Code == trimmed) && c.RedemptionId != null
                         join r in db.Set<Redemption.Redemption>() on c.RedemptionId equals r.Id
                         join m in db.Set<Member>() on r.MemberId equals m.Id
                         join w in db.Set<Reward>() on c.RewardId equals w.Id
                         orderby (c.Code == trimmed ? 0 : 1)
                         select new { c, w, m.ExternalId }).FirstOrDefaultAsync(ct);
        return row is null ? null : (row.c, row.w, row.ExternalId);
    }
}
