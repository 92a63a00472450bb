using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Settlement;

/// <summary>
/// Batched settlement: queued mint intents of a program are merged per wallet and cut into mintBatch
/// transactions of at most <see cref="SettlementOptions.MaxBatchSize"/> recipients (under the gas cap).
/// Each chunk is its own ChainTx, so a failed chunk never blocks the others; its intents go back to the
/// queue. Confirmed chunks mark their intents and the members' on-chain balances.
/// </summary>
public sealed class SettlementService(
    LoyaltyDbContext db, ChainTxQueue queue, TimeProvider time, IOptions<SettlementOptions> options,
    Alerts.AlertSink alerts, ChainTxFollower follower, Chain.Web3Factory web3, ILogger<SettlementService> logger)
{
    public const string MintPurpose = "settlement.mint";
    /// <summary>Raised when a mint batch is refused because the relayer lacks MINTER_ROLE (e.g. the brand revoked it).</summary>
    public const string MinterRoleMissingAlert = "MINTER_ROLE_MISSING";

    public async Task<int> SettleAsync(CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Status == ProgramStatus.Active)
            .OrderBy(p => p.Id).ToListAsync(ct);
        var batches = 0;
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.MaxIntentAge;
        foreach (var program in programs)
        {
            batches += await alerts.ForProgramAsync(db, logger, "settlement", program.Id, async () =>
            {
                var due = await db.Set<MintIntent>().AnyAsync(i => i.ProgramId == program.Id && i.Status == IntentStatus.Queued
                                                                  && i.CreatedAt <= cutoff, ct);
                return due ? await SettleProgramAsync(program, ct) : 0;
            }, ct);
        }
        return batches;
    }

    /// <summary>
    /// A program whose relayer was refused for lack of MINTER_ROLE waits, its accruals queued, until the role is back
    /// (read from the chain only while that alert is open): no batch is cut just to be refused again.
    /// </summary>
    private async Task<bool> MayMintAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var subject = $"program:{program.Id}";
        if (!await db.Set<Alert>().AnyAsync(a => a.Code == MinterRoleMissingAlert && a.Subject == subject && a.ResolvedAt == null, ct)) return true;
        var role = Ownership.Roles.RelayerRoles(program.Relayer).First();
        try
        {
            if (!(await Ownership.Roles.ReadAsync(web3.Get(), program, [role]))[role]) return false;
        }
        catch (Exception ex) when (Chain.RpcErrors.Classify(ex).Kind == Chain.RpcErrorKind.Transport)
        {
            return false; // the node is away: the alert stays open, the next pass asks again
        }
        await alerts.ResolveAsync(MinterRoleMissingAlert, subject, ct);
        logger.LogInformation("Program {ProgramId}: relayer {Relayer} holds MINTER_ROLE again; settlement resumes", program.Id, program.Relayer);
        return true;
    }

    /// <summary>Cuts batches from everything queued for the program now, whatever its age.</summary>
    public async Task<int> SettleProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        if (!await MayMintAsync(program, ct)) return 0;
        try
        {
            return await db.InWriteTransactionAsync(c => CutAsync(program, c), ct);
        }
        catch (IntentsTaken)
        {
            db.ChangeTracker.Clear();
            logger.LogWarning("Program {ProgramId}: intents were taken by a concurrent settlement round; backing off", program.Id);
            return 0;
        }
    }

    /// <summary>Another round claimed some of the intents read: this round's transaction is rolled back whole.</summary>
    private sealed class IntentsTaken : Exception;

    private async Task<int> CutAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var intents = await db.Set<MintIntent>().AsNoTracking()
            .Where(i => i.ProgramId == program.Id && i.Status == IntentStatus.Queued)
            .OrderBy(i => i.Id).Take(options.Value.MaxIntentsPerRound).ToListAsync(ct);
        if (intents.Count == 0) return 0;

        var now = time.GetUtcNow().UtcDateTime;
        // The sender is read inside the transaction: a minter rotation switches it, and a batch must not go out from a key it just retired.
        var relayer = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Id == program.Id)
            .Select(p => p.MinterAddress ?? p.OperatorAddress).SingleAsync(ct);
        var perWallet = MintEntries.PerWallet(intents);
        var chunks = MintEntries.Chunk(perWallet, options.Value.MaxBatchSize);
        foreach (var chunk in chunks)
        {
            var data = new MintBatchFunction
            {
                To = chunk.Select(c => c.Address).ToList(),
                Amounts = chunk.Select(c => new System.Numerics.BigInteger(c.Amount)).ToList(),
            }.GetCallData().ToHex(true);
            var chainTx = queue.Add(new ChainTxRequest(relayer, program.PointsContract!, data, MintPurpose, program.Id.ToString()));
            await db.SaveChangesAsync(ct);
            var batch = new SettlementBatch
            {
                ProgramId = program.Id, ChainTxId = chainTx.Id, Recipients = chunk.Count, Total = MintEntries.Total(chunk),
                Status = BatchStatus.Pending, CreatedAt = now,
            };
            db.Set<SettlementBatch>().Add(batch);
            await db.SaveChangesAsync(ct);
            // Claim exactly the intents read: if another run took any of them, this round backs off entirely.
            var ids = chunk.SelectMany(c => c.Intents).Select(i => i.Id).ToList();
            var batchId = batch.Id;
            // One array parameter (json_each on SQLite, an array on PostgreSQL): EF 10's default of one SQL parameter
            // per id made each 5,000-id claim a fresh 5,000-parameter statement to compile.
            var claimed = await db.Set<MintIntent>().Where(i => EF.Parameter(ids).Contains(i.Id) && i.Status == IntentStatus.Queued)
                .ExecuteUpdateAsync(u => u.SetProperty(i => i.Status, IntentStatus.Batched).SetProperty(i => i.BatchId, batchId), ct);
            if (claimed != ids.Count) throw new IntentsTaken();
        }
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Program {ProgramId}: {Intents} intents for {Wallets} wallets in {Chunks} mint batches",
            program.Id, intents.Count, perWallet.Count, chunks.Count);
        return chunks.Count;
    }

    /// <summary>Applies the outcome of finished batches to intents and on-chain balances (<see cref="SettlementMintOutcome"/>).</summary>
    public Task<int> FollowBatchesAsync(CancellationToken ct) => follower.FollowAsync([MintPurpose], ct);
}
