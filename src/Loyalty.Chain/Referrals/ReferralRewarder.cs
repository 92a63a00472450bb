using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Referrals;

/// <summary>
/// Rewards both sides of a qualified referral once its qualifying purchase has matured (the return window closed), in the
/// maturation's transaction: points available at once and queued for minting (as an adjustment grant is), the configured drops,
/// and what the program's `referral` (referrer) and `referred` (referee) earning rules add. A paused program or a blocked side
/// leaves the referral Qualified, retried on the next pass.
/// </summary>
public sealed class ReferralRewarder(LoyaltyDbContext db, LedgerWriter ledger, DropGrants drops, RuleUsageQuery usage, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<Intake.IntakeLimitsOptions> limits, ILogger<ReferralRewarder> logger)
{
    public const string ReferrerTrigger = "referral_reward";
    public const string RefereeTrigger = "referee_reward";
    private const string Savepoint = "referral_reward";
    private const int PassSize = 500;

    /// <summary>One query when nothing is due; each due referral in its own savepoint, so one failure does not undo the pass.</summary>
    public async Task<int> RewardDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await RefuseSunsettingAsync(now, ct);
        // Only what can be paid now: a paused program, an inactive policy or a blocked side would otherwise fill every pass
        // (500 by id) and starve the referrals of every other member and program behind it.
        var due = await db.Set<Referral>().AsNoTracking()
            .Where(r => r.Status == ReferralStatus.Qualified && r.RewardDueAt <= now
                        && !db.Set<Accrual>().Any(a => a.Id == r.QualifyingAccrualId && a.Status == AccrualStatus.Pending)
                        && db.Set<LoyaltyProgram>().Any(p => p.Id == r.ProgramId && p.Status == ProgramStatus.Active)
                        && db.Set<ReferralPolicy>().Any(p => p.ProgramId == r.ProgramId && p.Active)
                        && !db.Set<Member>().Any(m => (m.Id == r.ReferrerId || m.Id == r.RefereeId) && m.BlockedAt != null))
            .OrderBy(r => r.Id).Take(PassSize).ToListAsync(ct);
        if (due.Count == 0) return 0;
        var tx = db.Database.CurrentTransaction ?? throw new InvalidOperationException("referral rewards run in the maturation's transaction");
        var rewarded = 0;
        foreach (var referral in due)
        {
            await tx.CreateSavepointAsync(Savepoint, ct);
            try
            {
                if (await RewardOneAsync(referral, now, ct)) rewarded++;
                await db.SaveChangesAsync(ct);
                await tx.ReleaseSavepointAsync(Savepoint, ct);
            }
            catch (Exception error) when (error is not OperationCanceledException && !WriteTransactions.IsRetryable(error))
            {
                await tx.RollbackToSavepointAsync(Savepoint, ct);
                db.ChangeTracker.Clear();
                logger.LogError(error, "Referral {ReferralId}: reward failed; it stays qualified and is retried", referral.Id);
            }
        }
        return rewarded;
    }

    /// <summary>
    /// Earning stops at once when a sunset is requested: a referral still waiting then (Pending, or Qualified by a purchase made
    /// before the sunset whose return window is still open) is refused with PROGRAM_SUNSETTING, as an event or a grant is,
    /// rather than paying both sides after the stop. One read of the small sunset table when no program is sunsetting.
    /// </summary>
    private async Task RefuseSunsettingAsync(DateTime now, CancellationToken ct)
    {
        if (!await db.Set<Sunset.ProgramSunset>().AnyAsync(ct)) return;
        var refused = await db.Set<Referral>()
            .Where(r => (r.Status == ReferralStatus.Pending || r.Status == ReferralStatus.Qualified)
                        && db.Set<Sunset.ProgramSunset>().Any(s => s.ProgramId == r.ProgramId))
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, ReferralStatus.Refused)
                .SetProperty(r => r.Reason, ReferralReasons.ProgramSunsetting).SetProperty(r => r.RefusedAt, now), ct);
        if (refused > 0) logger.LogInformation("{Count} referrals refused: their program is sunsetting", refused);
    }

    private async Task<bool> RewardOneAsync(Referral referral, DateTime now, CancellationToken ct)
    {
        var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == referral.ProgramId, ct);
        if (program.Status != ProgramStatus.Active) return false;
        var policy = await db.Set<ReferralPolicy>().AsNoTracking().SingleOrDefaultAsync(p => p.ProgramId == referral.ProgramId, ct);
        if (policy is not { Active: true }) return false;
        // Locks in member id order (as intake takes them), then the rows as committed under those locks.
        foreach (var id in new[] { referral.ReferrerId, referral.RefereeId }.Order()) await ledger.LockMemberAsync(id, ct);
        var members = await db.Set<Member>().AsNoTracking().Where(m => m.Id == referral.ReferrerId || m.Id == referral.RefereeId)
            .ToDictionaryAsync(m => m.Id, ct);
        var (referrer, referee) = (members[referral.ReferrerId], members[referral.RefereeId]);
        if (referrer.BlockedAt is not null || referee.BlockedAt is not null) return false;

        var claim = db.Set<Referral>().Where(r => r.Id == referral.Id && r.Status == ReferralStatus.Qualified);
        // A wallet linked since enrolment may be the referrer's own.
        if (ReferralFraud.SameWallet([referrer.WalletAddress, referrer.CustodialAddress], [referee.WalletAddress, referee.CustodialAddress]))
        {
            await claim.ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, ReferralStatus.Refused)
                .SetProperty(r => r.Reason, ReferralReasons.SameWallet).SetProperty(r => r.RefusedAt, now), ct);
            return false;
        }

        var eventId = referral.QualifyingEventId!.Value;
        var referrerPoints = checked(policy.ReferrerPoints + await RuleBonusAsync(program, referrer, ReferrerTrigger, eventId, now, ct));
        var refereePoints = checked(policy.RefereePoints + await RuleBonusAsync(program, referee, RefereeTrigger, eventId, now, ct));
        // Claimed before anything is credited: a concurrent pass that claimed it first leaves it alone.
        if (await claim.ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, ReferralStatus.Rewarded).SetProperty(r => r.RewardedAt, now)
                .SetProperty(r => r.ReferrerPoints, referrerPoints).SetProperty(r => r.RefereePoints, refereePoints), ct) == 0)
        {
            // Another pass (another instance) rewarded it: the rule awards just computed were for nothing and must not be
            // saved, or they would use up the rules' budgets and member limits a second time.
            foreach (var added in db.ChangeTracker.Entries<Earning.RuleAward>().Where(e => e.State == EntityState.Added).ToList())
                added.State = EntityState.Detached;
            return false;
        }
        var refusals = new List<string>();
        await CreditAsync(program.Id, referrer, referrerPoints, referral.Id, "referrer", refusals, now, ct);
        await CreditAsync(program.Id, referee, refereePoints, referral.Id, "referee", refusals, now, ct);

        long? referrerMint = null, refereeMint = null;
        if (policy.ReferrerDropId is { } referrerDrop) referrerMint = await GrantAsync(program.Id, referrerDrop, referrer.Id, referral.Id, refusals, ct);
        if (policy.RefereeDropId is { } refereeDrop) refereeMint = await GrantAsync(program.Id, refereeDrop, referee.Id, referral.Id, refusals, ct);
        if (referrerMint is not null || refereeMint is not null || refusals.Count > 0)
        {
            var note = refusals.Count == 0 ? null : string.Join("; ", refusals);
            await db.Set<Referral>().Where(r => r.Id == referral.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.ReferrerDropMintId, referrerMint)
                .SetProperty(r => r.RefereeDropMintId, refereeMint).SetProperty(r => r.DropRefusal, note), ct);
        }
        logger.LogInformation("Referral {ReferralId}: rewarded {ReferrerPoints} to the referrer and {RefereePoints} to the referee",
            referral.Id, referrerPoints, refereePoints);
        return true;
    }

    /// <summary>
    /// Available at once and queued for minting in this transaction, as an adjustment grant is (EntryKind.Referral). A side that
    /// would go past the per-member cap (intake's MaxPointsPerMember) gets nothing from this referral, and the referral says so:
    /// waiting would hold the referral, and its other side, forever.
    /// </summary>
    private async Task CreditAsync(long programId, Member member, long points, long referralId, string side, List<string> refusals,
        DateTime now, CancellationToken ct)
    {
        if (points <= 0) return;
        if (await ledger.HeldAsync(member.Id, ct) + points > limits.Value.MaxPointsPerMember)
        {
            refusals.Add($"{side} points: POINTS_LIMIT_EXCEEDED");
            await db.Set<Referral>().Where(r => r.Id == referralId).ExecuteUpdateAsync(u => u.SetProperty(
                side == "referrer" ? r => r.ReferrerPoints : r => r.RefereePoints, 0L), ct);
            return;
        }
        await ledger.GrantAvailableAsync(programId, member.Id, member.WalletAddress, points, EntryKind.Referral, $"referral {referralId}", now, ct);
        await db.SaveChangesAsync(ct);
    }

    private async Task<long?> GrantAsync(long programId, long dropId, long memberId, long referralId, List<string> refusals, CancellationToken ct)
    {
        try
        {
            return await drops.GrantAsync(programId, dropId, memberId, $"referral {referralId}", ct);
        }
        catch (LoyaltyException refused)
        {
            // A sold-out or closed drop must not hold back the points: the refusal is kept on the referral.
            refusals.Add($"drop {dropId}: {refused.Code}");
            return null;
        }
    }

    /// <summary>
    /// What the program's active rules with this trigger award the member for a synthetic event (no amount, now, the member's tier
    /// and attributes): tier-specific bonuses are rules with conditions. Their awards are recorded against the qualifying purchase,
    /// so per-member limits and budgets count them.
    /// </summary>
    private async Task<long> RuleBonusAsync(LoyaltyProgram program, Member member, string trigger, long eventId, DateTime now, CancellationToken ct)
    {
        var rules = await db.Set<EarningRule>().AsNoTracking().Where(r => r.ProgramId == program.Id && r.Active && r.Trigger == trigger).ToListAsync(ct);
        if (rules.Count == 0) return 0;
        var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
        var synthetic = new EarningEvent
        {
            Type = trigger, OccurredAt = now, MemberTier = member.Tier,
            MemberAttributes = profile?.Attributes ?? new Dictionary<string, string>(),
        };
        var evaluation = RuleEvaluator.Evaluate(synthetic, rules, await usage.LoadAsync(program.Id, member.Id, rules, now, program.Zone, ct), program.Zone);
        if (evaluation.TotalPoints <= 0) return 0;
        db.Set<RuleAward>().AddRange(evaluation.ToAwards(program.Id, member.Id, eventId, now));
        return evaluation.TotalPoints;
    }
}
