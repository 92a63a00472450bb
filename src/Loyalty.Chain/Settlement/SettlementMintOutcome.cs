using Loyalty.Chain.Telemetry;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Settlement;

/// <summary>A finished settlement mint: its intents are confirmed and the members' on-chain balances raised, or re-queued.</summary>
public sealed class SettlementMintOutcome(LoyaltyDbContext db, TimeProvider time, Alerts.AlertSink alerts, ILogger<SettlementMintOutcome> logger)
    : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [SettlementService.MintPurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        var confirmed = tx.Status == ChainTxStatus.Final && tx.Outcome == ChainTxOutcome.Succeeded;
        var outcome = confirmed ? BatchStatus.Confirmed : BatchStatus.Failed;
        var settled = -1;
        await db.InWriteTransactionAsync(async c =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            // Claim the batch: a concurrent run that applied it already makes this a no-op.
            var batchId = await db.Set<SettlementBatch>().Where(b => b.ChainTxId == tx.Id && b.Kind == SettlementBatch.KindMint)
                .Select(b => (long?)b.Id).SingleOrDefaultAsync(c);
            if (batchId is null || await db.Set<SettlementBatch>().Where(b => b.Id == batchId && b.Status == BatchStatus.Pending)
                    .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, outcome).SetProperty(b => b.CompletedAt, now), c) == 0)
                return;
            var intents = await db.Set<MintIntent>().Where(i => i.BatchId == batchId).ToListAsync(c);
            settled = confirmed ? intents.Count : 0;
            if (confirmed)
            {
                foreach (var intent in intents)
                {
                    intent.Status = IntentStatus.Confirmed;
                    intent.ConfirmedAt = now;
                }
                foreach (var perMember in intents.GroupBy(i => i.MemberId))
                {
                    // A batch's total fits in int64 (MintEntries), so each member's share of it does too.
                    var amount = perMember.Aggregate(0L, (sum, i) => checked(sum + i.Amount));
                    await db.Set<MemberBalance>().Where(b => b.MemberId == perMember.Key)
                        .ExecuteUpdateAsync(u => u.SetProperty(b => b.OnChain, b => b.OnChain + amount), c);
                    var programId = perMember.First().ProgramId;
                    Webhooks.PointsEvents.ForMember(db, programId, perMember.Key, "points.settled", m => new
                    {
                        programId, memberId = m, points = amount.ToString(System.Globalization.CultureInfo.InvariantCulture), txHash = tx.MinedHash, batchId,
                    });
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
                logger.LogWarning("Mint batch {BatchId} failed ({Code}); {Count} intents re-queued", batchId, tx.ErrorCode, intents.Count);
            }
            await db.SaveChangesAsync(c);
        }, ct);
        // After the commit, and only by the run that claimed the batch: a second run of the same outcome counts nothing.
        if (settled < 0) return;
        if (!confirmed && tx.ErrorCode == "AccessControlUnauthorizedAccount" && long.TryParse(tx.Reference, out var program))
            await alerts.RaiseAsync(SettlementService.MinterRoleMissingAlert, $"program:{program}",
                $"Program {program}: mint batch #{tx.Id} from {tx.From} was refused: that address no longer holds MINTER_ROLE on the points "
                + "contract. Settlement of this program waits (accruals stay queued) until the role is granted again or the minter is rotated.", ct);
        Telemetry.LoyaltyMeters.AccrualsSettled.Add(settled);
        if (tx.GasUsed is { } gas) Telemetry.LoyaltyMeters.SettlementGasUsed.AddTagged(gas, "outcome", tx.Outcome?.ToString() ?? "None");
    }
}
