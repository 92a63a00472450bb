using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Ownership;

/// <summary>
/// Hands a program's admin roles to the brand (e.g. its multisig) in two steps through the pipeline: the service's admin
/// key grants the brand DEFAULT_ADMIN_ROLE and PAUSER_ROLE on both contracts and DROP_ADMIN_ROLE on the collectible;
/// only once every grant is final and the brand's admin role is read back from the chain does the service renounce its
/// own admin roles (a failed grant never leaves a contract without an admin). The relayer keeps MINTER_ROLE and
/// DROP_ADMIN_ROLE, the claim signer CLAIM_SIGNER_ROLE: what the service needs to run the program, nothing that
/// grants or revokes.
/// </summary>
public sealed class OwnershipHandover(LoyaltyDbContext db, ChainTxQueue queue, Chain.Web3Factory web3, Alerts.AlertSink alerts,
    TimeProvider time, ILogger<OwnershipHandover> logger)
{
    public const string GrantPurpose = "ownership.grant";
    public const string RenouncePurpose = "ownership.renounce";

    public async Task<LoyaltyProgram> RequestAsync(long programId, string? newAdmin, string actor, CancellationToken ct)
    {
        var brand = Roles.ParseAddress(newAdmin, "newAdmin");
        return await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == programId, c);
            if (program.HandoverStatus == HandoverStatus.Completed)
                throw new LoyaltyException("ALREADY_HANDED_OVER", $"the admin roles were already handed over to {program.BrandAdmin}", 409);
            if (program.HandoverStatus is HandoverStatus.Granting or HandoverStatus.Renouncing)
                throw new LoyaltyException("HANDOVER_IN_PROGRESS", $"a hand-over to {program.BrandAdmin} is in progress", 409);
            if (program.Status is not (ProgramStatus.Active or ProgramStatus.Paused) || program.PointsContract is null || program.CollectibleContract is null)
                throw new LoyaltyException("PROGRAM_NOT_ACTIVE", $"only an active or paused program can be handed over (it is {program.Status})", 409);
            if (MinterRotation.InProgress(program.RotationStatus))
                throw new LoyaltyException("ROTATION_IN_PROGRESS", "a minter rotation is in progress; hand over once it has completed", 409);
            if (brand == program.OperatorAddress || brand == program.Relayer || brand == program.ClaimSigner || brand == program.ServiceAdmin)
                throw new LoyaltyException("INVALID_ADDRESS", "newAdmin must be the brand's own address, not one of the service's keys");
            program.BrandAdmin = brand;
            program.HandoverStatus = HandoverStatus.Granting;
            program.HandoverAttempt++;
            program.HandoverDetail = $"granting the admin roles to {brand}";
            foreach (var role in Roles.BrandRoles(brand))
                queue.Add(Roles.GrantTx(program, program.ServiceAdmin, role, GrantPurpose, Reference(program)));
            db.Add(new KeyRoleAudit { ProgramId = program.Id, Action = KeyRoleAudit.Handover, Actor = actor, Address = brand, At = Now });
            await db.SaveChangesAsync(c);
            logger.LogInformation("Program {ProgramId}: hand-over of the admin roles to {Brand} requested by {Actor}", program.Id, brand, actor);
            return program;
        }, ct);
    }

    /// <summary>One pass over the programs being handed over; each program on its own, re-entrant (claims by conditional update).</summary>
    public async Task<int> AdvanceAsync(CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking()
            .Where(p => p.HandoverStatus == HandoverStatus.Granting || p.HandoverStatus == HandoverStatus.Renouncing).ToListAsync(ct);
        var moved = 0;
        foreach (var program in programs)
            moved += await alerts.ForProgramAsync(db, logger, "ownership", program.Id, () => AdvanceProgramAsync(program, ct), ct);
        return moved;
    }

    private async Task<int> AdvanceProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var reference = Reference(program);
        var purpose = program.HandoverStatus == HandoverStatus.Granting ? GrantPurpose : RenouncePurpose;
        var txs = await db.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == purpose && t.Reference == reference).ToListAsync(ct);
        if (txs.FirstOrDefault(Failed) is { } bad)
            return await MoveAsync(program, program.HandoverStatus, HandoverStatus.Failed,
                $"{purpose} #{bad.Id} failed ({bad.ErrorCode ?? bad.Status.ToString()})"
                + (purpose == RenouncePurpose ? $"; the brand {program.BrandAdmin} holds the admin roles and can revoke the service's itself" : ""), ct);
        if (txs.Count == 0 || txs.Any(t => t.Status != ChainTxStatus.Final)) return 0;
        if (program.HandoverStatus == HandoverStatus.Renouncing)
            return await MoveAsync(program, HandoverStatus.Renouncing, HandoverStatus.Completed, $"handed over to {program.BrandAdmin}", ct);

        // Every grant is final: read the brand's roles back before the service gives up its own (never inside the transaction).
        var held = await Roles.ReadAsync(web3.Get(), program, Roles.BrandRoles(program.BrandAdmin!));
        if (held.Any(r => !r.Value))
            return await MoveAsync(program, HandoverStatus.Granting, HandoverStatus.Failed,
                $"the brand does not hold {string.Join(", ", held.Where(r => !r.Value).Select(r => $"{r.Key.Role} on {r.Key.Contract}"))} after the grants", ct);
        return await db.InWriteTransactionAsync(async c =>
        {
            if (await db.Set<LoyaltyProgram>().Where(p => p.Id == program.Id && p.HandoverStatus == HandoverStatus.Granting && p.HandoverAttempt == program.HandoverAttempt)
                    .ExecuteUpdateAsync(u => u.SetProperty(p => p.HandoverStatus, HandoverStatus.Renouncing)
                        .SetProperty(p => p.HandoverDetail, "the brand holds the admin roles; renouncing the service's"), c) == 0) return 0;
            foreach (var role in Roles.ToRenounce(program)) queue.Add(Roles.RenounceTx(program, role, RenouncePurpose) with { Reference = reference });
            await db.SaveChangesAsync(c);
            logger.LogInformation("Program {ProgramId}: the brand {Brand} holds the admin roles; the service renounces its own", program.Id, program.BrandAdmin);
            return 1;
        }, ct);
    }

    private async Task<int> MoveAsync(LoyaltyProgram program, HandoverStatus from, HandoverStatus to, string detail, CancellationToken ct)
    {
        var moved = await db.InWriteTransactionAsync(c => db.Set<LoyaltyProgram>()
            .Where(p => p.Id == program.Id && p.HandoverStatus == from && p.HandoverAttempt == program.HandoverAttempt)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.HandoverStatus, to).SetProperty(p => p.HandoverDetail, detail), c), ct);
        if (moved > 0 && to == HandoverStatus.Failed)
            await alerts.RaiseAsync("HANDOVER_FAILED", $"program:{program.Id}", $"Program {program.Id}: hand-over failed: {detail}", ct);
        if (moved > 0) logger.LogInformation("Program {ProgramId}: hand-over {From} -> {To}: {Detail}", program.Id, from, to, detail);
        return moved;
    }

    private static bool Failed(ChainTx t) => t.Status is ChainTxStatus.Errored or ChainTxStatus.Cancelled || t.Outcome == ChainTxOutcome.Reverted;

    private static string Reference(LoyaltyProgram p) => $"{p.Id}:{p.HandoverAttempt}";

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}
