using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Webhooks;

/// <summary>
/// Withdrawal transfers had no outcome handler (the ledger learns of them from the indexer); this one emits
/// withdrawal.completed once a transfer is final. It is followed by the webhook pass, and marked handled by the follower,
/// so it runs once per transaction.
/// </summary>
public sealed class WithdrawalCompletedOutcome(LoyaltyDbContext db) : IChainTxOutcomeHandler
{
    public static readonly string[] WithdrawalPurposes = ["withdrawal.points", "withdrawal.collectible"];
    public IReadOnlyCollection<string> Purposes => WithdrawalPurposes;

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        if (tx is not { Status: ChainTxStatus.Final, Outcome: ChainTxOutcome.Succeeded }) return;
        var w = await db.Set<Withdrawal>().AsNoTracking().SingleOrDefaultAsync(x => x.ChainTxId == tx.Id, ct);
        if (w is null) return;
        await db.InWriteTransactionAsync(async c =>
        {
            PointsEvents.ForMember(db, w.ProgramId, w.MemberId, "withdrawal.completed", m => new
            {
                programId = w.ProgramId, memberId = m, withdrawalId = w.Id, requestId = w.RequestId, asset = w.Asset,
                points = w.Asset == "points" ? w.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, tokenId = w.TokenId,
                to = w.To, txHash = tx.MinedHash,
            });
            await db.SaveChangesAsync(c);
        }, ct);
    }
}
