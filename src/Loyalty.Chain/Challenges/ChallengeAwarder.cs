using Loyalty.Chain.Alerts;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Challenges;

/// <summary>Test seam: called inside an award's transaction after everything is written and before it commits.</summary>
public interface IChallengeAwardFaults
{
    void BeforeCommit(long awardId);
}

public sealed class NoChallengeAwardFaults : IChallengeAwardFaults
{
    public void BeforeCommit(long awardId) { }
}

/// <summary>
/// Carries out pending <see cref="ChallengeAward"/> rows (the outbox of completions), each in its own write transaction under
/// the member's lock: the award is claimed by a conditional update (Pending to Awarded), the points are credited Available
/// and queued for minting as an admin grant is, and the drop's mint is planned (<see cref="DropGrants"/>; the drop processor
/// mints it). All of it commits together or not at all, so each completion is awarded exactly once, and an award a crash
/// interrupted is found Pending by the next pass. A paused program or a blocked member: the award waits.
/// </summary>
public sealed class ChallengeAwarder(LoyaltyDbContext db, LedgerWriter ledger, DropGrants grants, AlertSink alerts,
    IChallengeAwardFaults faults, TimeProvider time, IOptions<IntakeLimitsOptions> limits, ILogger<ChallengeAwarder> logger)
{
    public const string Step = "challenge-awards";
    private const int PerPass = 500;
    private const int PerTransaction = 100;
    private const string Savepoint = "challenge_award";

    /// <summary>One pass over every program with pending awards; returns how many were awarded.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var programs = await db.Set<ChallengeAward>().AsNoTracking().Where(a => a.Status == ChallengeAwardStatus.Pending)
            .Select(a => a.ProgramId).Distinct().ToListAsync(ct);
        var awarded = 0;
        foreach (var programId in programs)
            awarded += await alerts.ForProgramAsync(db, logger, Step, programId, () => RunProgramAsync(programId, ct), ct);
        return awarded;
    }

    private async Task<int> RunProgramAsync(long programId, CancellationToken ct)
    {
        var status = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Id == programId).Select(p => p.Status).SingleAsync(ct);
        if (status != ProgramStatus.Active) return 0;
        await RefuseIfSunsettingAsync(programId, ct);
        // Awards of blocked members wait without taking a place in the pass, and those that failed last time (a member at the
        // points cap) come after the fresh ones: otherwise 500 of them would fill every pass and starve the rest.
        var pending = await db.Set<ChallengeAward>().AsNoTracking()
            .Where(a => a.ProgramId == programId && a.Status == ChallengeAwardStatus.Pending
                        && !db.Set<Member>().Any(m => m.Id == a.MemberId && m.BlockedAt != null))
            .OrderBy(a => a.Error == null ? 0 : 1).ThenBy(a => a.Id).Take(PerPass).Select(a => new { a.Id, a.MemberId }).ToListAsync(ct);
        var awarded = 0;
        Exception? first = null;
        // A burst of completions (a weekly challenge closing for thousands of members) is carried out like intake: a chunk
        // of awards per write transaction (one commit, one fsync on SQLite, instead of one per award), members locked in id
        // order, and a savepoint per award so one that fails rolls back alone.
        foreach (var chunk in pending.Chunk(PerTransaction))
        {
            var (done, error) = await db.InWriteTransactionAsync(async c =>
            {
                if (await db.Set<LoyaltyProgram>().AnyAsync(p => p.Id == programId && p.Status != ProgramStatus.Active, c)) return (0, (Exception?)null);
                foreach (var memberId in chunk.Select(x => x.MemberId).Distinct().Order()) await ledger.LockMemberAsync(memberId, c);
                var tx = db.Database.CurrentTransaction!;
                var (n, failed) = (0, (Exception?)null);
                foreach (var award in chunk)
                {
                    await tx.CreateSavepointAsync(Savepoint, c);
                    try
                    {
                        n += await AwardOneAsync(programId, award.Id, award.MemberId, c);
                        await tx.ReleaseSavepointAsync(Savepoint, c);
                    }
                    catch (Exception ex) when (!c.IsCancellationRequested && !WriteTransactions.IsRetryable(ex))
                    {
                        // One poisoned award must not hold back the others; the step still fails (and alerts) after the rest.
                        await tx.RollbackToSavepointAsync(Savepoint, c);
                        await tx.ReleaseSavepointAsync(Savepoint, c);
                        failed ??= ex;
                    }
                    finally
                    {
                        db.ChangeTracker.Clear();
                    }
                }
                foreach (var award in chunk) faults.BeforeCommit(award.Id);
                return (n, failed);
            }, ct);
            awarded += done;
            first ??= error;
        }
        if (first is not null) throw new InvalidOperationException($"{awarded} awarded; award failed: {first.Message}", first);
        return awarded;
    }

    /// <summary>
    /// Earning stops at once when a sunset is requested (README "Sunset"): an award still pending then, from a completion
    /// before the sunset, is refused with PROGRAM_SUNSETTING, as an event or a grant would be, instead of paying points
    /// after the stop. Conditional on Pending, so an award a concurrent pass paid first stays Awarded.
    /// </summary>
    private async Task RefuseIfSunsettingAsync(long programId, CancellationToken ct)
    {
        if (!await db.Set<Sunset.ProgramSunset>().AsNoTracking().AnyAsync(s => s.ProgramId == programId, ct)) return;
        var refused = await db.InWriteTransactionAsync(c => db.Set<ChallengeAward>()
            .Where(a => a.ProgramId == programId && a.Status == ChallengeAwardStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, ChallengeAwardStatus.Refused)
                .SetProperty(a => a.Error, Sunset.SunsetService.EarningRefused().Code), c), ct);
        if (refused > 0) logger.LogInformation("Program {ProgramId}: {Count} challenge awards refused, the program is sunsetting", programId, refused);
    }

    /// <summary>One award, inside the chunk's transaction (its member locked): claimed, credited and granted, or left Pending.</summary>
    private async Task<int> AwardOneAsync(long programId, long awardId, long memberId, CancellationToken c)
    {
        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == memberId, c);
        if (member.BlockedAt is not null) return 0;
        var award = await db.Set<ChallengeAward>().SingleAsync(a => a.Id == awardId, c);
        if (award.Status != ChallengeAwardStatus.Pending) return 0;
        var now = time.GetUtcNow().UtcDateTime;
        if (award.Points > 0)
        {
            if (await ledger.HeldAsync(memberId, c) + award.Points > limits.Value.MaxPointsPerMember)
            {
                // Waits, visibly, until the member holds less.
                award.Error = "POINTS_LIMIT_EXCEEDED";
                await db.SaveChangesAsync(c);
                return 0;
            }
        }
        // The claim: a second pass or instance that read the same row Pending updates nothing and rolls back.
        var claimed = await db.Set<ChallengeAward>().Where(a => a.Id == awardId && a.Status == ChallengeAwardStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, ChallengeAwardStatus.Awarded), c);
        if (claimed == 0) return 0;
        award.Status = ChallengeAwardStatus.Awarded;
        award.AwardedAt = now;
        award.Error = null;
        if (award.Points > 0)
        {
            var intent = await ledger.GrantAvailableAsync(programId, memberId, member.WalletAddress, award.Points, EntryKind.Challenge,
                $"challenge {award.ChallengeId} completion {award.CompletionId}", now, c);
            award.MintIntentId = intent.Id;
        }
        if (award.DropId is { } dropId)
        {
            try
            {
                award.DropMintId = await grants.GrantAsync(programId, dropId, memberId, $"challenge {award.ChallengeId}", c);
            }
            catch (LoyaltyException refused)
            {
                // Sold out or closed: the points still go; the refusal is recorded on the award.
                award.Error = refused.Code.Length > 64 ? refused.Code[..64] : refused.Code;
            }
        }
        await db.SaveChangesAsync(c);
        return 1;
    }
}
