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
    LoyaltyDbContext db, ChainTxQueue queue, SqliteWriteGate gate, TimeProvider time, IOptions<SettlementOptions> options,
    Alerts.AlertSink alerts, ILogger<SettlementService> logger)
{
    public const string MintPurpose = "settlement.mint";

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

    /// <summary>Cuts batches from everything queued for the program now, whatever its age.</summary>
    public async Task<int> SettleProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        using var writer = await gate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var intents = await db.Set<MintIntent>().AsNoTracking()
            .Where(i => i.ProgramId == program.Id && i.Status == IntentStatus.Queued)
            .OrderBy(i => i.Id).Take(options.Value.MaxIntentsPerRound).ToListAsync(ct);
        if (intents.Count == 0) return 0;

        var now = time.GetUtcNow().UtcDateTime;
        var perWallet = intents.GroupBy(i => i.Address).Select(g => (Address: g.Key, Amount: g.Sum(i => i.Amount), Intents: g.ToList()))
            .OrderBy(g => g.Intents[0].Id).ToList();
        var chunks = perWallet.Chunk(options.Value.MaxBatchSize).ToList();
        foreach (var chunk in chunks)
        {
            var data = new MintBatchFunction
            {
                To = chunk.Select(c => c.Address).ToList(),
                Amounts = chunk.Select(c => new System.Numerics.BigInteger(c.Amount)).ToList(),
            }.GetCallData().ToHex(true);
            var chainTx = queue.Add(new ChainTxRequest(program.OperatorAddress, program.PointsContract!, data, MintPurpose, program.Id.ToString()));
            await db.SaveChangesAsync(ct);
            var batch = new SettlementBatch
            {
                ProgramId = program.Id, ChainTxId = chainTx.Id, Recipients = chunk.Length, Total = chunk.Sum(c => c.Amount),
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
            if (claimed != ids.Count)
            {
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                logger.LogWarning("Program {ProgramId}: intents were taken by a concurrent settlement round; backing off", program.Id);
                return 0;
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Program {ProgramId}: {Intents} intents for {Wallets} wallets in {Chunks} mint batches",
            program.Id, intents.Count, perWallet.Count, chunks.Count);
        return chunks.Count;
    }

    /// <summary>Applies the outcome of finished batches to intents and on-chain balances.</summary>
    public async Task<int> FollowBatchesAsync(CancellationToken ct)
    {
        var pending = await (from b in db.Set<SettlementBatch>().AsNoTracking()
                             join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                             where b.Status == BatchStatus.Pending && b.Kind == SettlementBatch.KindMint && (t.Status == ChainTxStatus.Final
                                   || t.Status == ChainTxStatus.Errored || t.Status == ChainTxStatus.Cancelled)
                             orderby b.Id
                             select new { Batch = b, t.Status, t.Outcome, t.ErrorCode }).Take(100).ToListAsync(ct);
        foreach (var item in pending)
        {
            var now = time.GetUtcNow().UtcDateTime;
            using var writer = await gate.EnterAsync(db, ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var outcome = item.Status == ChainTxStatus.Final && item.Outcome == ChainTxOutcome.Succeeded ? BatchStatus.Confirmed : BatchStatus.Failed;
            // Claim the batch: a concurrent run that applied it already makes this a no-op.
            var batchId = item.Batch.Id;
            if (await db.Set<SettlementBatch>().Where(b => b.Id == batchId && b.Status == BatchStatus.Pending)
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, outcome).SetProperty(b => b.CompletedAt, now), ct) == 0)
            {
                await tx.RollbackAsync(ct);
                continue;
            }
            var intents = await db.Set<MintIntent>().Where(i => i.BatchId == item.Batch.Id).ToListAsync(ct);
            if (outcome == BatchStatus.Confirmed)
            {
                foreach (var intent in intents)
                {
                    intent.Status = IntentStatus.Confirmed;
                    intent.ConfirmedAt = now;
                }
                foreach (var perMember in intents.GroupBy(i => i.MemberId))
                {
                    var amount = perMember.Sum(i => i.Amount);
                    await db.Set<MemberBalance>().Where(b => b.MemberId == perMember.Key)
                        .ExecuteUpdateAsync(u => u.SetProperty(b => b.OnChain, b => b.OnChain + amount), ct);
                }
            }
            else
            {
                // The chunk did not land: its intents go back to the queue for the next round.
                foreach (var intent in intents)
                {
                    intent.Status = IntentStatus.Queued;
                    intent.BatchId = null;
                    intent.FailedBatches++;
                }
                logger.LogWarning("Mint batch {BatchId} failed ({Code}); {Count} intents re-queued", item.Batch.Id, item.ErrorCode, intents.Count);
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return pending.Count;
    }
}
