using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;

namespace Loyalty.Chain.Programs;

/// <summary>
/// A finished deployment or role grant moves its program forward: Deploying (both deployments final) → Configuring
/// (the operator's roles granted through the pipeline) → Active. A failure of any step marks the program Failed with
/// the reason. Re-entrant: it re-reads the program and its transactions and does only what is missing.
/// </summary>
public sealed class ProgramSetupOutcome(LoyaltyDbContext db, ChainTxQueue queue, ILogger<ProgramSetupOutcome> logger) : IChainTxOutcomeHandler
{
    public const string DeployPointsPurpose = "program.deploy.points";
    public const string DeployCollectiblePurpose = "program.deploy.collectible";

    public IReadOnlyCollection<string> Purposes { get; } =
        [DeployPointsPurpose, DeployCollectiblePurpose, ProgramActivation.SetupPurpose, ProgramService.FundPurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        if (!long.TryParse(tx.Reference, out var programId)) return;
        await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleOrDefaultAsync(p => p.Id == programId, c);
            if (program?.Status == ProgramStatus.Deploying) await AdvanceDeployingAsync(program, c);
            else if (program?.Status == ProgramStatus.Configuring) await AdvanceConfiguringAsync(program, c);
        }, ct);
    }

    private async Task AdvanceDeployingAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var ids = new[] { program.PointsDeployTxId, program.CollectibleDeployTxId };
        var txs = await db.Set<ChainTx>().AsNoTracking().Where(t => ids.Contains(t.Id)).ToListAsync(ct);
        // The relayer's and admin's gas: the grants below are sent by the admin key.
        var reference = program.Id.ToString();
        var funding = await db.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == ProgramService.FundPurpose && t.Reference == reference).ToListAsync(ct);
        if (Failure(txs.Concat(funding)) is { } failure)
        {
            await FailAsync(program, "deployment failed: " + failure, ct);
            return;
        }
        if (txs.Count != 2 || txs.Concat(funding).Any(t => t.Status != ChainTxStatus.Final)) return;

        // Claimed by conditional update: two instances following the two deployments at once queue the grants once.
        if (await db.Set<LoyaltyProgram>().Where(p => p.Id == program.Id && p.Status == ProgramStatus.Deploying)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, ProgramStatus.Configuring), ct) == 0) return;
        var points = txs.Single(t => t.Id == program.PointsDeployTxId);
        var collectible = txs.Single(t => t.Id == program.CollectibleDeployTxId);
        program.PointsContract = Address.Normalize(points.ContractAddress!);
        program.CollectibleContract = Address.Normalize(collectible.ContractAddress!);
        program.StartBlock = Math.Min(points.BlockNumber!.Value, collectible.BlockNumber!.Value);
        // The constructor made the admin key DEFAULT_ADMIN on both; it grants every other role (for a program from before
        // the key split every address is the operator's, which is what setup granted then).
        foreach (var role in Ownership.Roles.ServiceRoles(program).Where(r => r.Role != Ownership.Roles.DefaultAdmin))
            queue.Add(Ownership.Roles.GrantTx(program, program.ServiceAdmin, role, ProgramActivation.SetupPurpose));
        program.Status = ProgramStatus.Configuring;
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Program {ProgramId} deployed: points {Points}, collectible {Collectible}",
            program.Id, program.PointsContract, program.CollectibleContract);
    }

    private async Task AdvanceConfiguringAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var reference = program.Id.ToString();
        var txs = await db.Set<ChainTx>().AsNoTracking().Where(t => t.Purpose == ProgramActivation.SetupPurpose && t.Reference == reference).ToListAsync(ct);
        if (Failure(txs) is { } failure)
        {
            await FailAsync(program, "role setup failed: " + failure, ct);
            return;
        }
        if (txs.Any(t => t.Status != ChainTxStatus.Final)) return;
        program.Status = ProgramStatus.Active;
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Program {ProgramId} is active", program.Id);
    }

    private static string? Failure(IEnumerable<ChainTx> txs) => txs
        .Where(t => t.Status is ChainTxStatus.Errored or ChainTxStatus.Cancelled || t.Outcome == ChainTxOutcome.Reverted)
        .Select(t => $"{t.Purpose} #{t.Id}: {t.ErrorCode ?? t.Status.ToString()}").FirstOrDefault();

    private async Task FailAsync(LoyaltyProgram program, string detail, CancellationToken ct)
    {
        program.Status = ProgramStatus.Failed;
        program.StatusDetail = detail;
        await db.SaveChangesAsync(ct);
        logger.LogError("Program {ProgramId} failed: {Detail}", program.Id, detail);
    }
}
