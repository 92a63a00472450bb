using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Referrals;

public sealed record ReferredByView(string Referrer, string Status, string? Reason);

public sealed record ReferralItemView(string Referee, string Status, string? Reason, DateTime EnrolledAt, DateTime? QualifiedAt,
    DateTime? RewardedAt, string ReferrerPoints, string RefereePoints, string? Note);

public sealed record MemberReferralsView(string Code, ReferredByView? ReferredBy, IReadOnlyList<ReferralItemView> Referrals,
    int RewardedThisMonth, int? MonthlyCap);

/// <summary>Referral policies, members' codes, and linking a referee to a referrer at enrolment (with the fraud checks).</summary>
public sealed class ReferralService(LoyaltyDbContext db, LedgerWriter ledger, TimeProvider time, IOptions<IntakeLimitsOptions> limits)
{
    public const int MaxListed = 500;

    public Task<ReferralPolicy?> GetPolicyAsync(long programId, CancellationToken ct) =>
        db.Set<ReferralPolicy>().AsNoTracking().SingleOrDefaultAsync(p => p.ProgramId == programId, ct);

    public async Task<ReferralPolicy> SetPolicyAsync(long programId, ReferralPolicyRequest? request, CancellationToken ct)
    {
        var parsed = ReferralPolicyRules.Parse(request, limits.Value.MaxPointsPerEvent);
        foreach (var dropId in new[] { parsed.ReferrerDropId, parsed.RefereeDropId }.OfType<long>().Distinct())
        {
            if (!await db.Set<Drop>().AnyAsync(d => d.Id == dropId && d.ProgramId == programId, ct))
                throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        }
        return await db.InWriteTransactionAsync(async c =>
        {
            var row = await db.Set<ReferralPolicy>().SingleOrDefaultAsync(p => p.ProgramId == programId, c);
            if (row is null) db.Set<ReferralPolicy>().Add(row = new ReferralPolicy { ProgramId = programId });
            row.Active = parsed.Active;
            row.QualifyingEventTypes = parsed.QualifyingEventTypes;
            row.MinAmount = parsed.MinAmount;
            row.QualifyWithinDays = parsed.QualifyWithinDays;
            row.MonthlyCapPerReferrer = parsed.MonthlyCapPerReferrer;
            row.ReferrerPoints = parsed.ReferrerPoints;
            row.ReferrerDropId = parsed.ReferrerDropId;
            row.RefereePoints = parsed.RefereePoints;
            row.RefereeDropId = parsed.RefereeDropId;
            row.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(c);
            return row;
        }, ct);
    }

    /// <summary>The member's code, created on first use (a collision on the unique index draws again).</summary>
    public async Task<string> CodeAsync(long programId, long memberId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await db.Set<ReferralCode>().AsNoTracking().Where(c => c.MemberId == memberId).Select(c => c.Code).SingleOrDefaultAsync(ct) is { } code)
                return code;
            try
            {
                return await db.InWriteTransactionAsync(async c =>
                {
                    var fresh = new ReferralCode { MemberId = memberId, ProgramId = programId, Code = ReferralCodes.New(), CreatedAt = time.GetUtcNow().UtcDateTime };
                    db.Set<ReferralCode>().Add(fresh);
                    await db.SaveChangesAsync(c);
                    return fresh.Code;
                }, ct);
            }
            // Another program member drew the same code, or this member's code was created concurrently: read or draw again.
            catch (DbUpdateException) when (attempt < 5)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// Called inside the enrolment's write transaction, after the referee's rows are saved. An unknown code throws
    /// (422 UNKNOWN_REFERRAL_CODE) and so rolls the enrolment back; a known one records the referral, refused at once
    /// when a fraud check or the monthly cap says so (the member stays enrolled, without a bonus).
    /// </summary>
    public async Task OnEnrolledAsync(LoyaltyProgram program, Member referee, EnrolRequest request, DateTime now, CancellationToken ct)
    {
        if (request.ReferralCode is null) return;
        var normalized = ReferralCodes.Normalize(request.ReferralCode);
        if (normalized is null && request.ReferralCode.Length > ReferralCodes.MaxInputLength)
            throw new LoyaltyException("INVALID_REFERRAL_CODE", $"a referral code has at most {ReferralCodes.MaxInputLength} characters");
        var referrerId = normalized is null ? (long?)null : await db.Set<ReferralCode>().AsNoTracking()
            .Where(c => c.ProgramId == program.Id && c.Code == normalized).Select(c => (long?)c.MemberId).SingleOrDefaultAsync(ct);
        if (referrerId is not { } id) throw new LoyaltyException("UNKNOWN_REFERRAL_CODE", "no member of this program has this referral code", 422);
        // The cap counts this referrer's referrals: serialize them (PostgreSQL; SQLite's write gate already does).
        await ledger.LockMemberAsync(id, ct);
        var referrer = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == id, ct);
        var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == id, ct);
        var reason = ReferralFraud.Refusal(
            new(referrer.Id, profile?.Email, profile?.Phone, [referrer.WalletAddress, referrer.CustodialAddress]),
            new(referee.Id, request.Email, request.Phone, [referee.WalletAddress, referee.CustodialAddress]));
        var policy = await GetPolicyAsync(program.Id, ct);
        if (reason is null && policy is not { Active: true }) reason = ReferralReasons.PolicyInactive;
        if (reason is null && policy!.MonthlyCapPerReferrer is { } cap
            && await CountThisMonthAsync(program, id, now, ct) >= cap) reason = ReferralReasons.MonthlyCap;
        db.Set<Referral>().Add(new Referral
        {
            ProgramId = program.Id, ReferrerId = id, RefereeId = referee.Id, CreatedAt = now,
            Status = reason is null ? ReferralStatus.Pending : ReferralStatus.Refused, Reason = reason, RefusedAt = reason is null ? null : now,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Pending, qualified and rewarded referrals of this referrer enrolled in the current calendar month (program zone).</summary>
    private Task<int> CountThisMonthAsync(LoyaltyProgram program, long referrerId, DateTime now, CancellationToken ct)
    {
        var month = LocalPeriods.For(now, program.Zone);
        return db.Set<Referral>().CountAsync(r => r.ProgramId == program.Id && r.ReferrerId == referrerId && r.Status != ReferralStatus.Refused
                                                  && r.CreatedAt >= month.MonthStart && r.CreatedAt < month.MonthEnd, ct);
    }

    /// <param name="asMember">The member's own token asks: other members' customer ids (often a customer number or e-mail) are
    /// replaced by "referee #n" / "your referrer"; admin and shop keys see them.</param>
    public async Task<MemberReferralsView> ViewAsync(LoyaltyProgram program, Member member, CancellationToken ct, bool asMember = false)
    {
        var code = await CodeAsync(program.Id, member.Id, ct);
        var policy = await GetPolicyAsync(program.Id, ct);
        var referredBy = await (from r in db.Set<Referral>().AsNoTracking()
                                join m in db.Set<Member>().AsNoTracking() on r.ReferrerId equals m.Id
                                where r.RefereeId == member.Id
                                select new { m.ExternalId, r.Status, r.Reason }).SingleOrDefaultAsync(ct);
        // Only external ids: the referees' e-mail and phone never leave the profile.
        var rows = await (from r in db.Set<Referral>().AsNoTracking()
                          join m in db.Set<Member>().AsNoTracking() on r.RefereeId equals m.Id
                          where r.ProgramId == program.Id && r.ReferrerId == member.Id
                          orderby r.Id descending
                          select new { m.ExternalId, r }).Take(MaxListed).ToListAsync(ct);
        var month = LocalPeriods.For(time.GetUtcNow().UtcDateTime, program.Zone);
        var rewardedThisMonth = await db.Set<Referral>().CountAsync(r => r.ProgramId == program.Id && r.ReferrerId == member.Id
            && r.Status == ReferralStatus.Rewarded && r.RewardedAt >= month.MonthStart && r.RewardedAt < month.MonthEnd, ct);
        return new MemberReferralsView(ReferralCodes.Display(code),
            referredBy is null ? null : new ReferredByView(asMember ? "your referrer" : referredBy.ExternalId, referredBy.Status.ToString(), referredBy.Reason),
            rows.Select((x, i) => new ReferralItemView(asMember ? $"referee #{rows.Count - i}" : x.ExternalId, x.r.Status.ToString(), x.r.Reason, x.r.CreatedAt, x.r.QualifiedAt, x.r.RewardedAt,
                x.r.ReferrerPoints.ToString(), x.r.RefereePoints.ToString(), x.r.DropRefusal)).ToList(),
            rewardedThisMonth, policy?.MonthlyCapPerReferrer);
    }
}
