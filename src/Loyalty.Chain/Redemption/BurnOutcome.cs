using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Redemption;

/// <summary>
/// A finished burn batch: entries the contract burned complete (reservation retired, on-chain balance lowered, a
/// self-custody reward issued); entries it skipped (SignedBurnSkipped) or a batch that failed go back to be signed again.
/// </summary>
public sealed class BurnOutcome(LoyaltyDbContext db, LedgerWriter ledger, RedemptionService redemptionService, Web3Factory web3, TimeProvider time)
    : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [BurnSettlement.BurnPurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        var batchId = await db.Set<SettlementBatch>().Where(b => b.ChainTxId == tx.Id && b.Kind == SettlementBatch.KindBurn && b.Status == BatchStatus.Pending)
            .Select(b => (long?)b.Id).SingleOrDefaultAsync(ct);
        if (batchId is null) return;
        var skipped = new Dictionary<BigInteger, string>();
        var succeeded = tx.Status == ChainTxStatus.Final && tx.Outcome == ChainTxOutcome.Succeeded;
        if (succeeded)
        {
            // Read before the write transaction: no node call while holding it.
            var receipt = await web3.Get().Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.MinedHash);
            foreach (var e in receipt.DecodeAllEvents<SignedBurnSkippedEventDTO>())
                skipped[e.Event.Index] = ContractErrors.NameOf(e.Event.Reason.ToHex(true)) ?? "SKIPPED";
        }
        await db.InWriteTransactionAsync(async c =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            var outcome = succeeded ? BatchStatus.Confirmed : BatchStatus.Failed;
            if (await db.Set<SettlementBatch>().Where(b => b.Id == batchId && b.Status == BatchStatus.Pending)
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, outcome).SetProperty(b => b.CompletedAt, now), c) == 0)
                return;
            var redemptions = await db.Set<Redemption>().Where(r => r.BatchId == batchId).ToListAsync(c);
            foreach (var r in redemptions)
            {
                if (succeeded && !skipped.ContainsKey(r.BatchIndex ?? -1))
                {
                    await RedemptionService.MoveAsync(db, r, RedemptionStatus.Completed, voidReward: false, time, c, txHash: tx.MinedHash);
                    await ledger.PostAsync(r.ProgramId, r.MemberId, PointRetirement.KindOf(r.Kind), LedgerAccount.Reserved, LedgerAccount.Issuance, r.Cost,
                        new LedgerWriter.Refs(Note: $"{(r.Kind == RedemptionKind.Reward ? "redemption" : r.Kind.ToString().ToLowerInvariant())} {r.Id} burned in {tx.MinedHash}"), c);
                    var cost = r.Cost;
                    await db.Set<MemberBalance>().Where(b => b.MemberId == r.MemberId)
                        .ExecuteUpdateAsync(u => u.SetProperty(b => b.OnChain, b => b.OnChain - cost), c);
                    if (r.SelfCustody && r.Kind == RedemptionKind.Reward)
                    {
                        var reward = await db.Set<Reward>().AsNoTracking().SingleAsync(x => x.Id == r.RewardId, c);
                        await redemptionService.IssueRewardAsync(reward, r, now, c);
                    }
                }
                else
                {
                    // Not burned: custodial entries are signed again next round; self-custody members must sign again.
                    r.FailureCode = skipped.GetValueOrDefault(r.BatchIndex ?? -1) ?? tx.ErrorCode ?? "BURN_FAILED";
                    await RedemptionService.MoveAsync(db, r, r.SelfCustody ? RedemptionStatus.AwaitingSignature : RedemptionStatus.Reserved,
                        voidReward: false, time, c);
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
            await db.SaveChangesAsync(c);
        }, ct);
    }
}
