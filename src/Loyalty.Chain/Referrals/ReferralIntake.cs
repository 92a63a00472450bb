using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Referrals;

/// <summary>The open referrals of one intake batch's members, loaded once per batch and program.</summary>
public sealed class ReferralBatch(ReferralPolicy policy, Dictionary<long, Referral> byReferee)
{
    public ReferralPolicy Policy { get; } = policy;
    internal Dictionary<long, Referral> ByReferee { get; } = byReferee;
}

/// <summary>
/// The intake side of referrals, in the batch's transaction: the referee's first qualifying purchase qualifies the referral
/// (rewarded once that purchase's return window has closed, see <see cref="ReferralRewarder"/>), and a return inside the window
/// that leaves it no longer qualifying refuses it (RETURNED).
/// </summary>
public sealed class ReferralIntake(LoyaltyDbContext db)
{
    /// <summary>
    /// One query when none of these members has an open referral (the usual case, and always so in a program that never used
    /// referrals); a second for the policy otherwise. Null means nothing to do for this batch.
    /// </summary>
    public async Task<ReferralBatch?> LoadBatchAsync(LoyaltyProgram program, IReadOnlyCollection<long> memberIds, CancellationToken ct)
    {
        var open = await db.Set<Referral>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && memberIds.Contains(r.RefereeId)
                        && (r.Status == ReferralStatus.Pending || r.Status == ReferralStatus.Qualified)).ToListAsync(ct);
        if (open.Count == 0) return null;
        var policy = await db.Set<ReferralPolicy>().AsNoTracking().SingleOrDefaultAsync(p => p.ProgramId == program.Id && p.Active, ct);
        return policy is null ? null : new ReferralBatch(policy, open.ToDictionary(r => r.RefereeId));
    }

    /// <summary>After an earning event of <paramref name="memberId"/> is saved (its accrual too, if it earned points).</summary>
    public async Task OnEarnedAsync(ReferralBatch batch, LoyaltyProgram program, long memberId, long eventId, string type, long? amount, DateTime now,
        CancellationToken ct)
    {
        if (!batch.ByReferee.TryGetValue(memberId, out var referral) || referral.Status != ReferralStatus.Pending) return;
        if (!ReferralPolicyRules.Qualifies(batch.Policy, type, amount)) return;
        if (batch.Policy.QualifyWithinDays is { } days && now > referral.CreatedAt.AddDays(days))
        {
            await db.Set<Referral>().Where(r => r.Id == referral.Id && r.Status == ReferralStatus.Pending).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, ReferralStatus.Refused).SetProperty(r => r.Reason, ReferralReasons.QualifyWindowPassed)
                .SetProperty(r => r.RefusedAt, now), ct);
            referral.Status = ReferralStatus.Refused;
            return;
        }
        var accrual = await db.Set<Accrual>().AsNoTracking().Where(a => a.EventId == eventId).Select(a => new { a.Id, a.MaturesAt })
            .SingleOrDefaultAsync(ct);
        // With no points earned there is no accrual, but the purchase can still be returned within the window.
        var due = accrual?.MaturesAt ?? now + program.PendingPeriod;
        var qualified = await db.Set<Referral>().Where(r => r.Id == referral.Id && r.Status == ReferralStatus.Pending).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.Status, ReferralStatus.Qualified).SetProperty(r => r.QualifiedAt, now)
            .SetProperty(r => r.QualifyingEventId, eventId).SetProperty(r => r.QualifyingAccrualId, accrual == null ? null : accrual.Id)
            .SetProperty(r => r.RewardDueAt, due), ct);
        if (qualified == 0) return;
        referral.Status = ReferralStatus.Qualified;
        referral.QualifyingEventId = eventId;
        referral.RewardDueAt = due;
    }

    /// <summary>After a return of <paramref name="purchase"/> (its Refunded already includes this return).</summary>
    public async Task OnReturnedAsync(ReferralBatch batch, long memberId, LoyaltyEvent purchase, DateTime now, CancellationToken ct)
    {
        if (!batch.ByReferee.TryGetValue(memberId, out var referral) || referral.Status != ReferralStatus.Qualified
            || referral.QualifyingEventId != purchase.Id || referral.RewardDueAt <= now) return;
        if (ReferralPolicyRules.StillQualifies(batch.Policy, purchase.Amount ?? 0, purchase.Refunded)) return;
        var refused = await db.Set<Referral>().Where(r => r.Id == referral.Id && r.Status == ReferralStatus.Qualified).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.Status, ReferralStatus.Refused).SetProperty(r => r.Reason, ReferralReasons.Returned)
            .SetProperty(r => r.RefusedAt, now), ct);
        if (refused > 0) referral.Status = ReferralStatus.Refused;
    }
}
