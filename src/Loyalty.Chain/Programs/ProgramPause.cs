using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using PointsPause = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.PauseFunction;
using PointsUnpause = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.UnpauseFunction;

namespace Loyalty.Chain.Programs;

/// <summary>
/// Pausing a program stops earning and redemption at once (status Paused, checked inside the intake and redemption
/// transactions) and queues pause() on both contracts through the pipeline, in the same transaction (outbox).
/// Settlement and burn passes only take Active programs, so accruals wait, unminted, while paused.
/// <para>
/// Resume queues unpause() and moves the program to Resuming; it becomes Active only when both unpause
/// transactions are final (<see cref="ProgramPauseOutcome"/>). Not at once: the submitter estimates gas before it
/// signs, and a settlement mint estimated while the contract is still paused would revert at estimation and be
/// Errored. Resuming still refuses events and redemptions with PROGRAM_PAUSED, for the few seconds it lasts.
/// </para>
/// <para>
/// After the admin roles were handed over to the brand (<see cref="Ownership.OwnershipHandover"/>) the service holds
/// no PAUSER_ROLE: pause is then off chain only (earning, redemption and settlement stop; nothing is queued) and the
/// detail says the brand's admin must pause the contracts itself. Resume refuses with CONTRACTS_PAUSED_BY_BRAND while
/// either contract is paused on chain, because only the brand can unpause it.
/// </para>
/// </summary>
public sealed class ProgramPause(LoyaltyDbContext db, ChainTxQueue queue, Chain.Web3Factory web3, TimeProvider time)
{
    public const string PausePurpose = "program.pause";
    public const string UnpausePurpose = "program.unpause";

    /// <summary>409 PROGRAM_PAUSED unless the program is taking events and redemptions; read inside the caller's transaction.</summary>
    public static async Task EnsureNotPausedAsync(LoyaltyDbContext db, long programId, CancellationToken ct)
    {
        var status = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Id == programId).Select(p => p.Status).SingleAsync(ct);
        EnsureNotPaused(status);
    }

    public static void EnsureNotPaused(ProgramStatus status)
    {
        if (status is ProgramStatus.Paused or ProgramStatus.Resuming)
            throw new LoyaltyException("PROGRAM_PAUSED", "the program is paused: no earning and no redemption until it is resumed", 409);
    }

    public async Task<LoyaltyProgram> PauseAsync(long programId, CancellationToken ct) =>
        await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == programId, c);
            if (program.Status is ProgramStatus.Paused or ProgramStatus.Resuming)
                throw new LoyaltyException("PROGRAM_ALREADY_PAUSED", $"the program is already {program.Status}", 409);
            if (program.Status != ProgramStatus.Active || program.PointsContract is null || program.CollectibleContract is null)
                throw new LoyaltyException("PROGRAM_NOT_ACTIVE", $"only an active program can be paused (it is {program.Status})", 409);
            program.Status = ProgramStatus.Paused;
            program.StatusDetail = $"paused at {time.GetUtcNow().UtcDateTime:O}";
            if (program.HandedOver)
                program.StatusDetail += $"; off chain only: the brand's admin {program.BrandAdmin} holds PAUSER_ROLE and must pause the contracts itself";
            else Queue(program, PausePurpose, new PointsPause().GetCallData().ToHex(true));
            await db.SaveChangesAsync(c);
            return program;
        }, ct);

    public async Task<LoyaltyProgram> ResumeAsync(long programId, CancellationToken ct)
    {
        // Read before the write transaction (never call the node inside it): unpause() reverts on a contract that is not
        // paused (a pause that failed, or an earlier resume that got half way), so only the paused ones are unpaused.
        var seen = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == programId, ct);
        var pointsPaused = seen.PointsContract is { } pc && await new Contracts.LoyaltyPoints.LoyaltyPointsService(web3.Get(), pc).PausedQueryAsync();
        var collectiblePaused = seen.CollectibleContract is { } cc
                                && await new Contracts.LoyaltyCollectible.LoyaltyCollectibleService(web3.Get(), cc).PausedQueryAsync();
        return await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == programId, c);
            if (program.Status != ProgramStatus.Paused)
                throw new LoyaltyException("PROGRAM_NOT_PAUSED", $"only a paused program can be resumed (it is {program.Status})", 409);
            // unpause() on a contract whose pause() has not landed yet would revert at estimation.
            var reference = program.Id.ToString();
            if (await db.Set<ChainTx>().AnyAsync(t => t.Purpose == PausePurpose && t.Reference == reference && t.Status != ChainTxStatus.Final
                                                      && t.Status != ChainTxStatus.Errored && t.Status != ChainTxStatus.Cancelled, c))
                throw new LoyaltyException("PAUSE_IN_PROGRESS", "the contracts are still being paused; resume once that is final", 409);
            if (program.HandedOver && (pointsPaused || collectiblePaused))
                throw new LoyaltyException("CONTRACTS_PAUSED_BY_BRAND",
                    $"the contracts are paused on chain and only the brand's admin {program.BrandAdmin} can unpause them; resume once it has", 409);
            var data = new PointsUnpause().GetCallData().ToHex(true);
            if (pointsPaused) queue.Add(new ChainTxRequest(program.ServiceAdmin, program.PointsContract, data, UnpausePurpose, program.Id.ToString()));
            if (collectiblePaused)
                queue.Add(new ChainTxRequest(program.ServiceAdmin, program.CollectibleContract, data, UnpausePurpose, program.Id.ToString()));
            // Neither contract is paused on chain: nothing to wait for.
            program.Status = pointsPaused || collectiblePaused ? ProgramStatus.Resuming : ProgramStatus.Active;
            program.StatusDetail = pointsPaused || collectiblePaused ? $"resume requested at {time.GetUtcNow().UtcDateTime:O}" : null;
            await db.SaveChangesAsync(c);
            return program;
        }, ct);
    }

    /// <summary>Both contracts' pause()/unpause() share one selector, so the same call data goes to each.</summary>
    private void Queue(LoyaltyProgram program, string purpose, string data)
    {
        queue.Add(new ChainTxRequest(program.ServiceAdmin, program.PointsContract, data, purpose, program.Id.ToString()));
        queue.Add(new ChainTxRequest(program.ServiceAdmin, program.CollectibleContract, data, purpose, program.Id.ToString()));
    }

    /// <summary>The program's latest pause and unpause transactions, newest first, for the program view.</summary>
    public static Task<List<ChainTx>> RecentTxsAsync(LoyaltyDbContext db, long programId, CancellationToken ct)
    {
        var reference = programId.ToString();
        return db.Set<ChainTx>().AsNoTracking()
            .Where(t => (t.Purpose == PausePurpose || t.Purpose == UnpausePurpose) && t.Reference == reference)
            .OrderByDescending(t => t.Id).Take(4).ToListAsync(ct);
    }
}

/// <summary>
/// A finished unpause: when both of the latest resume's transactions are final the program is Active again (claimed
/// by conditional update, so it runs once however often it is called); a failed one puts it back to Paused with the
/// reason, so the admin can resume again. A failed pause is recorded in StatusDetail: off chain the program stays paused.
/// </summary>
public sealed class ProgramPauseOutcome(LoyaltyDbContext db, ILogger<ProgramPauseOutcome> logger) : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [ProgramPause.PausePurpose, ProgramPause.UnpausePurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        if (!long.TryParse(tx.Reference, out var programId)) return;
        var failed = tx.Status is ChainTxStatus.Errored or ChainTxStatus.Cancelled || tx.Outcome == ChainTxOutcome.Reverted;
        if (tx.Purpose == ProgramPause.PausePurpose)
        {
            if (!failed) return;
            await db.Set<LoyaltyProgram>().Where(p => p.Id == programId && p.Status == ProgramStatus.Paused)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.StatusDetail, $"pause transaction #{tx.Id} failed: {tx.ErrorCode ?? tx.Status.ToString()}"), ct);
            logger.LogError("Pause transaction {TxId} of program {ProgramId} failed", tx.Id, programId);
            return;
        }
        var reference = programId.ToString();
        var lastPause = await db.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == ProgramPause.PausePurpose && t.Reference == reference)
            .MaxAsync(t => (long?)t.Id, ct) ?? 0;
        var resume = await db.Set<ChainTx>().AsNoTracking()
            .Where(t => t.Purpose == ProgramPause.UnpausePurpose && t.Reference == reference && t.Id > lastPause).ToListAsync(ct);
        if (resume.Any(t => t.Status is ChainTxStatus.Errored or ChainTxStatus.Cancelled || t.Outcome == ChainTxOutcome.Reverted))
        {
            var bad = resume.First(t => t.Status is ChainTxStatus.Errored or ChainTxStatus.Cancelled || t.Outcome == ChainTxOutcome.Reverted);
            await db.Set<LoyaltyProgram>().Where(p => p.Id == programId && p.Status == ProgramStatus.Resuming)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, ProgramStatus.Paused)
                    .SetProperty(p => p.StatusDetail, $"resume failed: unpause #{bad.Id} {bad.ErrorCode ?? bad.Status.ToString()}"), ct);
            logger.LogError("Resume of program {ProgramId} failed: unpause {TxId}", programId, bad.Id);
            return;
        }
        // Resume queues an unpause for each contract paused on chain (one or two), together: all of them final means resumed.
        if (resume.Count == 0 || resume.Any(t => t.Status != ChainTxStatus.Final)) return;
        if (await db.Set<LoyaltyProgram>().Where(p => p.Id == programId && p.Status == ProgramStatus.Resuming)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, ProgramStatus.Active).SetProperty(p => p.StatusDetail, (string?)null), ct) > 0)
            logger.LogInformation("Program {ProgramId} resumed", programId);
    }
}
