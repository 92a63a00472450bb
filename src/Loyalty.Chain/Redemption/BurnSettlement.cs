using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Redemption;

/// <summary>
/// Burns reserved points on chain in burnBatchWithSignature transactions: many holders per transaction,
/// each entry authorised by the holder's EIP-712 Burn signature, so no member ever needs gas. A custodial
/// member's redemptions are merged into one entry signed by the service with the member's key, once the
/// points are on chain. An entry the contract skips (SignedBurnSkipped) goes back to be signed again;
/// the others complete: the reservation is retired and the member's on-chain balance lowered.
/// </summary>
public sealed class BurnSettlement(
    LoyaltyDbContext db, ChainTxQueue queue, CustodyService custody, LedgerWriter ledger, RedemptionService redemptionService,
    SqliteWriteGate gate, Web3Factory web3, TimeProvider time, Alerts.AlertSink alerts, ILogger<BurnSettlement> logger)
{
    public const string BurnPurpose = "redemption.burn";
    public const int MaxEntries = 300;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var applied = await FollowAsync(ct);
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking().Where(p => p.Status == ProgramStatus.Active).ToListAsync(ct);
        foreach (var program in programs)
            await alerts.ForProgramAsync(db, logger, "burns", program.Id, () => BatchProgramAsync(program, ct), ct);
        return applied;
    }

    private async Task BatchProgramAsync(LoyaltyProgram program, CancellationToken ct)
    {
        var ready = await db.Set<Redemption>().Where(r => r.ProgramId == program.Id && r.Status == RedemptionStatus.Reserved && r.BatchId == null)
            .OrderBy(r => r.Id).Take(MaxEntries * 4).ToListAsync(ct);
        if (ready.Count == 0) return;
        var burning = await db.Set<Redemption>().Where(r => r.ProgramId == program.Id && r.Status == RedemptionStatus.Burning)
            .Select(r => r.MemberId).Distinct().ToListAsync(ct);
        var memberIds = ready.Select(r => r.MemberId).Distinct().ToList();
        var members = await (from m in db.Set<Member>() join b in db.Set<MemberBalance>() on m.Id equals b.MemberId
                             where memberIds.Contains(m.Id) select new { m.Id, m.CustodialIndex, b.OnChain }).ToDictionaryAsync(x => x.Id, ct);
        var points = new LoyaltyPointsService(web3.Get(), program.PointsContract!);
        var now = time.GetUtcNow();
        var entries = new List<(SignedBurn Burn, List<Redemption> Redemptions)>();

        // Custodial: one merged entry per member, only when the points are on chain and no burn of theirs is in flight.
        foreach (var group in ready.Where(r => !r.SelfCustody).GroupBy(r => r.MemberId))
        {
            var m = members[group.Key];
            var total = group.Sum(r => r.Cost);
            if (burning.Contains(group.Key) || m.OnChain < total || m.CustodialIndex is null) continue;
            var owner = group.First().Owner;
            var nonce = await points.NoncesQueryAsync(owner);
            var deadline = now.AddHours(1).ToUnixTimeSeconds();
            var message = new BurnMessage { Owner = owner, Value = total, Nonce = nonce, Deadline = deadline };
            var signature = await custody.WithMemberKeyAsync(program.Id, m.CustodialIndex.Value,
                key => LoyaltyTypedData.Sign(message, program.PointName, web3.Options.ChainId, program.PointsContract!, key), ct);
            entries.Add((new SignedBurn { Owner = owner, Value = total, Nonce = nonce, Deadline = deadline, Signature = signature }, group.ToList()));
        }
        // Self-custody: the member's own signature, one entry per redemption, in nonce order.
        foreach (var r in ready.Where(r => r.SelfCustody && r.BurnSignature is not null).OrderBy(r => r.Owner).ThenBy(r => r.BurnNonce))
        {
            if (r.BurnDeadline < now.ToUnixTimeSeconds())
            {
                r.Status = RedemptionStatus.AwaitingSignature;
                r.BurnSignature = null;
                r.BurnNonce = null;
                r.BurnDeadline = null;
                r.FailureCode = "SIGNATURE_EXPIRED";
                continue;
            }
            entries.Add((new SignedBurn { Owner = r.Owner, Value = r.Cost, Nonce = r.BurnNonce!.Value, Deadline = r.BurnDeadline!.Value,
                Signature = r.BurnSignature!.HexToByteArray() }, [r]));
        }
        await db.SaveChangesAsync(ct);
        if (entries.Count == 0) return;

        using var writer = await gate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var chunk in entries.Chunk(MaxEntries))
        {
            var data = new BurnBatchWithSignatureFunction { Burns = chunk.Select(e => e.Burn).ToList() }.GetCallData().ToHex(true);
            var chainTx = queue.Add(new ChainTxRequest(program.OperatorAddress, program.PointsContract!, data, BurnPurpose, program.Id.ToString()));
            await db.SaveChangesAsync(ct);
            var batch = new SettlementBatch
            {
                ProgramId = program.Id, ChainTxId = chainTx.Id, Kind = SettlementBatch.KindBurn, Recipients = chunk.Length,
                Total = chunk.Sum(e => (long)e.Burn.Value), Status = BatchStatus.Pending, CreatedAt = now.UtcDateTime,
            };
            db.Set<SettlementBatch>().Add(batch);
            await db.SaveChangesAsync(ct);
            for (var i = 0; i < chunk.Length; i++)
            {
                // Claim each redemption as it was read: one cancelled (or batched) meanwhile aborts this round,
                // so nothing is ever burned that the ledger has released.
                var ids = chunk[i].Redemptions.Select(r => r.Id).ToList();
                var (batchId, index, nonce, deadline, at) = (batch.Id, i, (long)chunk[i].Burn.Nonce, (long)chunk[i].Burn.Deadline, now.UtcDateTime);
                var claimed = await db.Set<Redemption>().Where(r => ids.Contains(r.Id) && r.Status == RedemptionStatus.Reserved && r.BatchId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RedemptionStatus.Burning).SetProperty(r => r.BatchId, batchId)
                        .SetProperty(r => r.BatchIndex, index).SetProperty(r => r.BurnNonce, nonce).SetProperty(r => r.BurnDeadline, deadline)
                        .SetProperty(r => r.UpdatedAt, at), ct);
                if (claimed != ids.Count)
                {
                    await tx.RollbackAsync(ct);
                    db.ChangeTracker.Clear();
                    logger.LogWarning("Program {ProgramId}: a redemption changed while its burn was prepared; retrying next round", program.Id);
                    return;
                }
            }
        }
        db.ChangeTracker.Clear();
        await tx.CommitAsync(ct);
        logger.LogInformation("Program {ProgramId}: {Entries} signed burns queued", program.Id, entries.Count);
    }

    private async Task<int> FollowAsync(CancellationToken ct)
    {
        var done = await (from b in db.Set<SettlementBatch>().AsNoTracking()
                          join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                          where b.Kind == SettlementBatch.KindBurn && b.Status == BatchStatus.Pending
                                && (t.Status == ChainTxStatus.Final || t.Status == ChainTxStatus.Errored || t.Status == ChainTxStatus.Cancelled)
                          orderby b.Id
                          select new { Batch = b, Tx = t }).Take(50).ToListAsync(ct);
        foreach (var item in done)
        {
            var skipped = new Dictionary<BigInteger, string>();
            var succeeded = item.Tx.Status == ChainTxStatus.Final && item.Tx.Outcome == ChainTxOutcome.Succeeded;
            if (succeeded)
            {
                var receipt = await web3.Get().Eth.Transactions.GetTransactionReceipt.SendRequestAsync(item.Tx.MinedHash);
                foreach (var e in receipt.DecodeAllEvents<SignedBurnSkippedEventDTO>())
                    skipped[e.Event.Index] = ContractErrors.NameOf(e.Event.Reason.ToHex(true)) ?? "SKIPPED";
            }
            using var writer = await gate.EnterAsync(db, ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            var batchId = item.Batch.Id;
            var outcome = succeeded ? BatchStatus.Confirmed : BatchStatus.Failed;
            if (await db.Set<SettlementBatch>().Where(b => b.Id == batchId && b.Status == BatchStatus.Pending)
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, outcome).SetProperty(b => b.CompletedAt, now), ct) == 0)
            {
                await tx.RollbackAsync(ct);
                continue;
            }
            var redemptions = await db.Set<Redemption>().Where(r => r.BatchId == batchId).ToListAsync(ct);
            foreach (var r in redemptions)
            {
                if (succeeded && !skipped.ContainsKey(r.BatchIndex ?? -1))
                {
                    r.Status = RedemptionStatus.Completed;
                    await ledger.PostAsync(r.ProgramId, r.MemberId, EntryKind.Redeem, LedgerAccount.Reserved, LedgerAccount.Issuance, r.Cost,
                        new LedgerWriter.Refs(Note: $"redemption {r.Id} burned in {item.Tx.MinedHash}"), ct);
                    var cost = r.Cost;
                    await db.Set<MemberBalance>().Where(b => b.MemberId == r.MemberId)
                        .ExecuteUpdateAsync(u => u.SetProperty(b => b.OnChain, b => b.OnChain - cost), ct);
                    if (r.SelfCustody)
                    {
                        var reward = await db.Set<Reward>().AsNoTracking().SingleAsync(x => x.Id == r.RewardId, ct);
                        await redemptionService.IssueRewardAsync(reward, r, now, ct);
                    }
                }
                else
                {
                    // Not burned: custodial entries are signed again next round; self-custody members must sign again.
                    r.FailureCode = skipped.GetValueOrDefault(r.BatchIndex ?? -1) ?? item.Tx.ErrorCode ?? "BURN_FAILED";
                    r.Status = r.SelfCustody ? RedemptionStatus.AwaitingSignature : RedemptionStatus.Reserved;
                    r.BatchId = null;
                    r.BatchIndex = null;
                    if (r.SelfCustody)
                    {
                        r.BurnSignature = null;
                        r.BurnNonce = null;
                        r.BurnDeadline = null;
                    }
                }
                r.UpdatedAt = now;
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return done.Count;
    }
}
