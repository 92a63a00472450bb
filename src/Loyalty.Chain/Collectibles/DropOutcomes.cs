using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace Loyalty.Chain.Collectibles;

/// <summary>A finished createDrop: the drop takes its on-chain id from the DropCreated event, or goes back to Draft.</summary>
public sealed class DropCreateOutcome(LoyaltyDbContext db, Web3Factory web3Factory, TimeProvider time, ILogger<DropCreateOutcome> logger)
    : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [DropService.CreatePurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.CreateTxId == tx.Id && d.Status == DropStatus.Publishing, ct);
        if (drop is null) return;
        var publishing = db.Set<Drop>().Where(d => d.Id == drop.Id && d.Status == DropStatus.Publishing && d.CreateTxId == tx.Id);
        if (tx.Status == ChainTxStatus.Final && tx.Outcome == ChainTxOutcome.Succeeded)
        {
            var created = (await DropReceipts.GetAsync(web3Factory, tx)).DecodeAllEvents<DropCreatedEventDTO>()
                .SingleOrDefault(e => string.Equals(e.Log.Address, tx.To, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"createDrop tx {tx.Id} has no DropCreated event");
            var onChainId = (long)created.Event.DropId;
            var now = time.GetUtcNow().UtcDateTime;
            await db.InWriteTransactionAsync(c => publishing.ExecuteUpdateAsync(u => u.SetProperty(d => d.OnChainDropId, onChainId)
                .SetProperty(d => d.Status, DropStatus.Published).SetProperty(d => d.PublishedAt, now), c), ct);
            logger.LogInformation("Drop {DropId} published as on-chain drop {OnChain}", drop.Id, onChainId);
        }
        else
        {
            // Back to Draft with the reason, so the brand can fix it and publish again.
            var detail = $"publication failed: {tx.ErrorCode ?? tx.Outcome?.ToString() ?? tx.Status.ToString()}";
            await db.InWriteTransactionAsync(c => publishing.ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DropStatus.Draft)
                .SetProperty(d => d.StatusDetail, detail).SetProperty(d => d.CreateTxId, (long?)null), c), ct);
            logger.LogWarning("Drop {DropId}: {Detail}", drop.Id, detail);
        }
    }
}

/// <summary>A finished mint batch: token ids from the receipt's Transfer logs, or the mints back to the queue (up to a limit).</summary>
public sealed class DropMintOutcome(LoyaltyDbContext db, Web3Factory web3Factory, IOptions<CollectiblesOptions> options, TimeProvider time,
    ILogger<DropMintOutcome> logger) : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [DropProcessor.MintPurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        var batch = await db.Set<DropMintBatch>().AsNoTracking().SingleOrDefaultAsync(b => b.ChainTxId == tx.Id && b.Status == DropBatchStatus.Pending, ct);
        if (batch is null) return;
        var succeeded = tx.Status == ChainTxStatus.Final && tx.Outcome == ChainTxOutcome.Succeeded;
        // The receipt is read before the write transaction: no node call while holding it.
        var tokenIds = succeeded ? DropProcessor.MintedTokenIds(await DropReceipts.GetAsync(web3Factory, tx), tx.To!) : [];
        await db.InWriteTransactionAsync(async c =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            // The batch is claimed first: another instance applying the same batch finds nothing to do.
            var outcome = succeeded ? DropBatchStatus.Confirmed : DropBatchStatus.Failed;
            var claimed = await db.Set<DropMintBatch>().Where(b => b.Id == batch.Id && b.Status == DropBatchStatus.Pending)
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, outcome).SetProperty(b => b.CompletedAt, now), c);
            if (claimed == 0) return;
            var mints = await db.Set<DropMint>().Where(m => m.BatchId == batch.Id).OrderBy(m => m.BatchIndex).ToListAsync(c);
            if (succeeded)
            {
                if (tokenIds.Count != mints.Count)
                    throw new InvalidOperationException($"mint batch {batch.Id}: {tokenIds.Count} Transfer logs for {mints.Count} mints");
                for (var i = 0; i < mints.Count; i++)
                {
                    mints[i].Status = DropMintStatus.Minted;
                    mints[i].TokenId = tokenIds[i];
                    mints[i].MintedAt = now;
                    mints[i].Version++;
                    var mint = mints[i];
                    var tokenId = mint.TokenId?.ToString();
                    Webhooks.PointsEvents.ForMember(db, mint.ProgramId, mint.MemberId, "collectible.minted", m => new
                    {
                        programId = mint.ProgramId, memberId = m, dropId = mint.DropId, tokenId, source = mint.Source, txHash = tx.MinedHash,
                    });
                    if (mint.Source == DropGrants.BadgeSource)
                        Webhooks.PointsEvents.ForMember(db, mint.ProgramId, mint.MemberId, "badge.awarded", m => new
                        {
                            programId = mint.ProgramId, memberId = m, dropId = mint.DropId, tokenId, reason = mint.Reason,
                        });
                }
            }
            else
            {
                var code = tx.ErrorCode ?? tx.Outcome?.ToString() ?? tx.Status.ToString();
                foreach (var mint in mints)
                {
                    mint.FailedBatches++;
                    mint.BatchId = null;
                    mint.BatchIndex = null;
                    mint.Status = mint.FailedBatches >= options.Value.MaxFailedBatches ? DropMintStatus.Failed : DropMintStatus.Queued;
                    if (mint.Status == DropMintStatus.Failed) mint.FailureCode = code;
                    mint.Version++;
                }
                logger.LogWarning("Drop {DropId}: mint batch {BatchId} failed ({Code}); {Count} mints re-queued", batch.DropId, batch.Id, code, mints.Count);
            }
            await db.SaveChangesAsync(c);
            // The batch that leaves no mint of the drop waiting completes it (drops are cut once; later grants are their own mints).
            if (succeeded && !await db.Set<DropMint>().AnyAsync(m => m.DropId == batch.DropId && m.Status != DropMintStatus.Minted && m.Status != DropMintStatus.Failed, c))
            {
                var minted = await db.Set<DropMint>().CountAsync(m => m.DropId == batch.DropId && m.Status == DropMintStatus.Minted, c);
                Webhooks.WebhookOutbox.Enqueue(db, batch.ProgramId, "drop.completed", null, new { programId = batch.ProgramId, dropId = batch.DropId, minted });
                await db.SaveChangesAsync(c);
            }
        }, ct);
    }
}

/// <summary>A finished relayed claim. A voucher the member already used reverts with LoyaltyCollectibleVoucherUsed: spent either way.</summary>
public sealed class VoucherRelayOutcome(LoyaltyDbContext db, Web3Factory web3Factory) : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [DropProcessor.ClaimPurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        var voucherId = await db.Set<DropVoucher>().Where(v => v.RelayTxId == tx.Id && v.Status == VoucherStatus.Relaying)
            .Select(v => (long?)v.Id).SingleOrDefaultAsync(ct);
        if (voucherId is null) return;
        var relaying = db.Set<DropVoucher>().Where(v => v.Id == voucherId && v.Status == VoucherStatus.Relaying && v.RelayTxId == tx.Id);
        if (tx.Status == ChainTxStatus.Final && tx.Outcome == ChainTxOutcome.Succeeded)
        {
            var claimed = (await DropReceipts.GetAsync(web3Factory, tx)).DecodeAllEvents<VoucherClaimedEventDTO>().FirstOrDefault()?.Event.TokenId;
            await db.InWriteTransactionAsync(c => relaying.ExecuteUpdateAsync(u => u.SetProperty(v => v.Status, VoucherStatus.Claimed)
                .SetProperty(v => v.TokenId, claimed), c), ct);
        }
        else
        {
            var error = tx.ErrorCode ?? tx.Outcome?.ToString() ?? tx.Status.ToString();
            var status = error == DropProcessor.VoucherUsedError ? VoucherStatus.Claimed : VoucherStatus.Issued;
            await db.InWriteTransactionAsync(c => relaying.ExecuteUpdateAsync(u => u.SetProperty(v => v.Status, status)
                .SetProperty(v => v.RelayError, error), c), ct);
        }
    }
}

internal static class DropReceipts
{
    public static async Task<TransactionReceipt> GetAsync(Web3Factory web3Factory, ChainTx tx) =>
        await web3Factory.Get().Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.MinedHash)
        ?? throw new InvalidOperationException($"no receipt for final ChainTx {tx.Id} ({tx.MinedHash})");
}
