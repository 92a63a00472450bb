using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Ownership;

public sealed record RotationView(string Status, string? Detail, string? OldMinter, string? NewMinter, IReadOnlyList<RoleAssignment>? BrandMustGrant);

/// <summary>
/// Replaces a program's relayer (minter) key. Granting: a new custody key is created and funded by the operator, and
/// the service's admin grants it the relayer's roles (after a hand-over the brand must grant them: AwaitingBrand, polled
/// with hasRole). Then new transactions switch to it (Draining): the old key's queued and sent transactions to the
/// program's contracts still finish from the old key, in its own nonce order, while it still holds MINTER_ROLE. Once
/// none is left (and a grace period has passed for requests that read the program just before the switch) the old key's
/// roles are revoked (Revoking; after a hand-over the brand must revoke them) and the rotation is Completed. Completing
/// queues, in the same write, one sweep of the old key's ETH to the new relayer (<see cref="SweepPurpose"/>), unless it is dust.
/// </summary>
public sealed class MinterRotation(LoyaltyDbContext db, CustodyService custody, ProgramService programs, ChainTxQueue queue,
    Chain.Web3Factory web3, Chain.FeeEstimator fees, SenderHealth senders, Alerts.AlertSink alerts, TimeProvider time, ILogger<MinterRotation> logger)
{
    public const string GrantPurpose = "minter.grant";
    public const string RevokePurpose = "minter.revoke";
    /// <summary>The retired key's balance, less the transfer's gas, to the new relayer; one per rotation attempt.</summary>
    public const string SweepPurpose = "minter.sweep";
    /// <summary>Program views are cached for 5 s by the API: a request that read the old relayer just before the switch commits within this.</summary>
    public static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(10);

    public static bool InProgress(RotationStatus s) => s is RotationStatus.Granting or RotationStatus.AwaitingBrand or RotationStatus.Draining or RotationStatus.Revoking;

    public async Task<RotationView> RotateAsync(long programId, string actor, CancellationToken ct)
    {
        var program = await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == programId, c);
            if (InProgress(program.RotationStatus))
                throw new LoyaltyException("ROTATION_IN_PROGRESS", $"a rotation to {program.PendingMinterAddress ?? program.Relayer} is {program.RotationStatus}", 409);
            if (program.HandoverStatus is HandoverStatus.Granting or HandoverStatus.Renouncing)
                throw new LoyaltyException("HANDOVER_IN_PROGRESS", "a hand-over is in progress; rotate once it has completed", 409);
            if (program.Status is not (ProgramStatus.Active or ProgramStatus.Paused) || program.PointsContract is null || program.CollectibleContract is null)
                throw new LoyaltyException("PROGRAM_NOT_ACTIVE", $"only an active or paused program's minter can be rotated (it is {program.Status})", 409);
            program.RotationAttempt++;
            var fresh = await custody.GetOrCreateServiceKeyAsync($"{ProgramService.MinterPurpose}.r{program.RotationAttempt}", program.Id, c);
            program.PendingMinterAddress = fresh;
            program.RetiringMinterAddress = program.Relayer;
            program.RotationChangedAt = Now;
            programs.Fund(program, fresh);
            if (program.HandedOver)
            {
                program.RotationStatus = RotationStatus.AwaitingBrand;
                program.RotationDetail = $"the brand's admin {program.BrandAdmin} must grant {fresh} MINTER_ROLE on both contracts and DROP_ADMIN_ROLE on the collectible";
            }
            else
            {
                program.RotationStatus = RotationStatus.Granting;
                program.RotationDetail = $"granting the relayer's roles to {fresh}";
                foreach (var role in Roles.RelayerRoles(fresh)) queue.Add(Roles.GrantTx(program, program.ServiceAdmin, role, GrantPurpose, Reference(program)));
            }
            db.Add(new KeyRoleAudit { ProgramId = program.Id, Action = KeyRoleAudit.Rotate, Actor = actor, Address = fresh, At = Now });
            await db.SaveChangesAsync(c);
            return program;
        }, ct);
        logger.LogInformation("Program {ProgramId}: minter rotation from {Old} to {New} requested by {Actor}", programId,
            program.RetiringMinterAddress, program.PendingMinterAddress, actor);
        return View(program);
    }

    public static RotationView View(LoyaltyProgram p) => new(p.RotationStatus.ToString().ToLowerInvariant(), p.RotationDetail,
        p.RetiringMinterAddress, p.PendingMinterAddress ?? (p.RotationStatus == RotationStatus.None ? null : p.Relayer),
        p.RotationStatus == RotationStatus.AwaitingBrand ? Roles.RelayerRoles(p.PendingMinterAddress!).ToList() : null);

    public async Task<int> AdvanceAsync(CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking()
            .Where(p => p.RotationStatus == RotationStatus.Granting || p.RotationStatus == RotationStatus.AwaitingBrand
                        || p.RotationStatus == RotationStatus.Draining || p.RotationStatus == RotationStatus.Revoking).ToListAsync(ct);
        var moved = 0;
        foreach (var program in programs)
            moved += await alerts.ForProgramAsync(db, logger, "minter-rotation", program.Id, () => AdvanceProgramAsync(program, ct), ct);
        return moved;
    }

    private async Task<int> AdvanceProgramAsync(LoyaltyProgram p, CancellationToken ct)
    {
        var reference = Reference(p);
        switch (p.RotationStatus)
        {
            case RotationStatus.Granting or RotationStatus.Revoking:
            {
                var purpose = p.RotationStatus == RotationStatus.Granting ? GrantPurpose : RevokePurpose;
                var txs = await db.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == purpose && t.Reference == reference).ToListAsync(ct);
                if (txs.FirstOrDefault(t => t.Status is ChainTxStatus.Errored or ChainTxStatus.Cancelled || t.Outcome == ChainTxOutcome.Reverted) is { } bad)
                    return await FailAsync(p, $"{purpose} #{bad.Id} failed ({bad.ErrorCode ?? bad.Status.ToString()})"
                        + (purpose == GrantPurpose ? "; transactions stay with the old minter" : $"; {p.RetiringMinterAddress} still holds its roles"), ct);
                if (txs.Count == 0 || txs.Any(t => t.Status != ChainTxStatus.Final)) return 0;
                return p.RotationStatus == RotationStatus.Granting ? await SwitchAsync(p, ct)
                    : await CompleteAsync(p, $"rotated to {p.Relayer}; {p.RetiringMinterAddress} holds no role any more", ct);
            }
            case RotationStatus.AwaitingBrand:
            {
                var held = await Roles.ReadAsync(web3.Get(), p, Roles.RelayerRoles(p.PendingMinterAddress!));
                return held.Values.All(h => h) ? await SwitchAsync(p, ct) : 0;
            }
            default: // Draining
            {
                if (p.RotationChangedAt is { } at && Now - at < DrainGrace) return 0;
                var old = p.RetiringMinterAddress!;
                var contracts = new[] { p.PointsContract, p.CollectibleContract };
                // Nonces are per sender: everything the old key has queued or sent to this program's contracts finishes from it first.
                if (await db.Set<ChainTx>().AnyAsync(t => t.From == old && contracts.Contains(t.To) && t.Status != ChainTxStatus.Final
                                                          && t.Status != ChainTxStatus.Errored && t.Status != ChainTxStatus.Cancelled, ct)) return 0;
                if (p.HandedOver)
                    return await CompleteAsync(p, $"rotated to {p.Relayer}; the brand's admin {p.BrandAdmin} must revoke MINTER_ROLE and DROP_ADMIN_ROLE from {old}", ct);
                return await db.InWriteTransactionAsync(async c =>
                {
                    if (await Claim(p, RotationStatus.Draining, RotationStatus.Revoking, $"revoking the roles of {old}", c) == 0) return 0;
                    foreach (var role in Roles.RelayerRoles(old)) queue.Add(Roles.RevokeTx(p, p.ServiceAdmin, role, RevokePurpose, reference));
                    await db.SaveChangesAsync(c);
                    return 1;
                }, ct);
            }
        }
    }

    /// <summary>
    /// Revoking (or, after a hand-over, Draining) → Completed, and the old key's ETH swept to the new relayer in the same
    /// write: the conditional claim has one winner, so a second instance or a restart never queues a second sweep. Waits
    /// while anything from or to the old key is unfinished (its balance is not final yet); the balance and the fee are read before
    /// the write. A balance that does not cover twice the transfer's gas is left (dust), as is a paused key's.
    /// </summary>
    private async Task<int> CompleteAsync(LoyaltyProgram p, string detail, CancellationToken ct)
    {
        var old = p.RetiringMinterAddress!;
        // A program created before the key split relayed from the shared operator (a key with no program): that key pays
        // every program's gas and top-ups, so it is never swept (nor waited on), only a key this program owns.
        var oldLower = old.ToLowerInvariant();
        if (!await db.Set<ServiceKey>().AnyAsync(k => k.Address == oldLower && k.ProgramId == p.Id, ct))
            return await MoveAsync(p, p.RotationStatus, RotationStatus.Completed,
                $"{detail}; {old} is not a key of this program alone (the shared operator): nothing swept", ct);
        if (await db.Set<ChainTx>().AnyAsync(t => (t.From == old || t.To == old) && t.Status != ChainTxStatus.Final
                                                  && t.Status != ChainTxStatus.Errored && t.Status != ChainTxStatus.Cancelled, ct)) return 0;
        var reference = Reference(p);
        var chain = web3.Get();
        var balance = (await chain.Eth.GetBalance.SendRequestAsync(old)).Value;
        var (market, _) = await fees.EstimateAsync(chain, ct);
        var dust = BalanceSweep.DustLimit(market.MaxFeePerGas);
        var amount = BalanceSweep.Amount(balance, BalanceSweep.TransferGas, market.MaxFeePerGas);
        string? skipped = balance < dust ? $"{old} keeps {balance} wei (dust: under twice the transfer's gas, {dust} wei)"
            : await senders.IsPausedAsync(web3.Options.ChainId, old, ct) ? $"{old} keeps {balance} wei (its sending is paused)"
            : null;
        var note = skipped ?? $"sweeping {balance} wei less gas from {old} to {p.Relayer} ({SweepPurpose})";
        var moved = await db.InWriteTransactionAsync(async c =>
        {
            if (await Claim(p, p.RotationStatus, RotationStatus.Completed, $"{detail}; {note}", c) == 0) return 0;
            if (skipped is null && !await db.Set<ChainTx>().AnyAsync(t => t.Purpose == SweepPurpose && t.Reference == reference, c))
            {
                queue.Add(new ChainTxRequest(old, p.Relayer, "0x", SweepPurpose, reference, BalanceSweep.TransferGas) { Value = amount });
                db.Add(new KeyRoleAudit { ProgramId = p.Id, Action = KeyRoleAudit.Sweep, Actor = KeyRoleAudit.ServiceActor, Address = old, At = Now });
                await db.SaveChangesAsync(c);
            }
            return 1;
        }, ct);
        if (moved > 0) logger.LogInformation("Program {ProgramId}: minter rotation {From} -> Completed: {Detail}; {Sweep}", p.Id, p.RotationStatus, detail, note);
        return moved;
    }

    /// <summary>The new key holds its roles: new transactions go out from it; the old key drains.</summary>
    private async Task<int> SwitchAsync(LoyaltyProgram p, CancellationToken ct)
    {
        var now = Now;
        var moved = await db.InWriteTransactionAsync(c => db.Set<LoyaltyProgram>()
            .Where(x => x.Id == p.Id && x.RotationAttempt == p.RotationAttempt && x.RotationStatus == p.RotationStatus)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.MinterAddress, p.PendingMinterAddress).SetProperty(x => x.PendingMinterAddress, (string?)null)
                .SetProperty(x => x.RotationStatus, RotationStatus.Draining).SetProperty(x => x.RotationChangedAt, now)
                .SetProperty(x => x.RotationDetail, $"new transactions go out from {p.PendingMinterAddress}; waiting for {p.RetiringMinterAddress}'s to finish"), c), ct);
        if (moved > 0) logger.LogInformation("Program {ProgramId}: relayer switched to {New}; {Old} drains", p.Id, p.PendingMinterAddress, p.RetiringMinterAddress);
        return moved;
    }

    private async Task<int> FailAsync(LoyaltyProgram p, string detail, CancellationToken ct)
    {
        var moved = await MoveAsync(p, p.RotationStatus, RotationStatus.Failed, detail, ct);
        if (moved > 0) await alerts.RaiseAsync("MINTER_ROTATION_FAILED", $"program:{p.Id}", $"Program {p.Id}: minter rotation failed: {detail}", ct);
        return moved;
    }

    private async Task<int> MoveAsync(LoyaltyProgram p, RotationStatus from, RotationStatus to, string detail, CancellationToken ct)
    {
        var moved = await db.InWriteTransactionAsync(c => Claim(p, from, to, detail, c), ct);
        if (moved > 0) logger.LogInformation("Program {ProgramId}: minter rotation {From} -> {To}: {Detail}", p.Id, from, to, detail);
        return moved;
    }

    private Task<int> Claim(LoyaltyProgram p, RotationStatus from, RotationStatus to, string detail, CancellationToken ct)
    {
        var now = Now;
        return db.Set<LoyaltyProgram>().Where(x => x.Id == p.Id && x.RotationAttempt == p.RotationAttempt && x.RotationStatus == from)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.RotationStatus, to).SetProperty(x => x.RotationDetail, detail)
                .SetProperty(x => x.RotationChangedAt, now), ct);
    }

    private static string Reference(LoyaltyProgram p) => $"{p.Id}:r{p.RotationAttempt}";

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}
