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
    private static readonly string[] PointsRoles = ["MINTER_ROLE", "PAUSER_ROLE"];
    private static readonly string[] CollectibleRoles = ["MINTER_ROLE", "PAUSER_ROLE", "DROP_ADMIN_ROLE", "CLAIM_SIGNER_ROLE"];

    public IReadOnlyCollection<string> Purposes { get; } = [DeployPointsPurpose, DeployCollectiblePurpose, ProgramActivation.SetupPurpose];

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
        if (Failure(txs) is { } failure)
        {
            await FailAsync(program, "deployment failed: " + failure, ct);
            return;
        }
        if (txs.Count != 2 || txs.Any(t => t.Status != ChainTxStatus.Final)) return;

        // Claimed by conditional update: two instances following the two deployments at once queue the grants once.
        if (await db.Set<LoyaltyProgram>().Where(p => p.Id == program.Id && p.Status == ProgramStatus.Deploying)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, ProgramStatus.Configuring), ct) == 0) return;
        var points = txs.Single(t => t.Id == program.PointsDeployTxId);
        var collectible = txs.Single(t => t.Id == program.CollectibleDeployTxId);
        program.PointsContract = Address.Normalize(points.ContractAddress!);
        program.CollectibleContract = Address.Normalize(collectible.ContractAddress!);
        program.StartBlock = Math.Min(points.BlockNumber!.Value, collectible.BlockNumber!.Value);
        foreach (var role in PointsRoles) queue.Add(Grant(program, program.PointsContract, role));
        foreach (var role in CollectibleRoles) queue.Add(Grant(program, program.CollectibleContract, role));
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

    private static ChainTxRequest Grant(LoyaltyProgram program, string contract, string role) => new(
        program.OperatorAddress, contract,
        new GrantRoleFunction { Role = Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes(role)), Account = program.OperatorAddress }
            .GetCallData().ToHex(true),
        ProgramActivation.SetupPurpose, program.Id.ToString());

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
