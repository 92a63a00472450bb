using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// Follows a Sent or Mined transaction to the end: records the receipt of whichever attempt landed,
/// broadcasts again what the node dropped, replaces what is stuck (same nonce, higher fees), turns a
/// withdrawn intent into a no-op, marks Final at the configured depth and sends back to Sent what a
/// reorg removed.
/// </summary>
public sealed class TransactionConfirmer(
    LoyaltyDbContext db,
    Web3Factory web3Factory,
    FeeEstimator fees,
    TransactionSubmitter submitter,
    IPipelineFaults faults,
    TimeProvider time,
    ILogger<TransactionConfirmer> logger)
{
    private ChainOptions Options => web3Factory.Options;

    public async Task<ChainTxStatus?> ConfirmAsync(long id, CancellationToken ct)
    {
        var tx = await db.Set<ChainTx>().Include(t => t.Attempts).SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tx is null) return null;
        var web3 = web3Factory.Get();
        try
        {
            if (tx.Status == ChainTxStatus.Sent) await FollowSentAsync(web3, tx, ct);
            else if (tx.Status == ChainTxStatus.Mined) await FollowMinedAsync(web3, tx, ct);
        }
        catch (Exception ex) when (RpcErrors.Classify(ex).Kind == RpcErrorKind.Transport || ex is Nethereum.JsonRpc.Client.RpcResponseException)
        {
            // Node unreachable: nothing is decided without it; the next pass tries again.
            logger.LogWarning("Confirming ChainTx {Id} postponed: {Message}", id, RpcErrors.Classify(ex).Message);
        }
        return tx.Status;
    }

    private async Task FollowSentAsync(IWeb3 web3, ChainTx tx, CancellationToken ct)
    {
        // Read the sender's nonce at confirmation depth BEFORE looking for receipts: if it was already consumed
        // there and none of our (pre-recorded) hashes has a receipt, only then did a foreign transaction take it.
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var safeBlock = Math.Max(0, head - Options.ConfirmationDepth + 1);
        var nonceAtSafeBlock = (long)(await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(tx.From,
            new BlockParameter(new HexBigInteger(safeBlock)))).Value;
        foreach (var attempt in tx.Attempts.OrderByDescending(a => a.Id))
        {
            var receipt = await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(attempt.Hash);
            if (receipt is null) continue;
            faults.At(FaultPoint.AfterReceiptBeforeRecord, tx.Id);
            RecordReceipt(tx, attempt, receipt);
            await SaveAsync(tx, ct);
            logger.LogInformation("ChainTx {Id} mined in block {Block}: {Outcome}", tx.Id, tx.BlockNumber, tx.Outcome);
            return;
        }

        var latest = tx.Attempts.OrderBy(a => a.Id).Last();
        var confirmedNonce = nonceAtSafeBlock;
        if (confirmedNonce > tx.Nonce)
        {
            // Our nonce is used on chain but by none of our hashes (all of which are recorded before
            // broadcast): another party signed with this key. Sign again with a fresh nonce.
            logger.LogError("Nonce {Nonce} of {From} was consumed by a foreign transaction; ChainTx {Id} gets a new nonce", tx.Nonce, tx.From, tx.Id);
            await NonceAllocator.ResyncAsync(db, tx.ChainId, tx.From, confirmedNonce, ct);
            tx.Status = ChainTxStatus.Queued;
            tx.Nonce = null;
            tx.ErrorCode = "NONCE_USED_ELSEWHERE";
            await SaveAsync(tx, ct);
            return;
        }

        var now = Now;
        var pending = await web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(latest.Hash);
        if (tx.CancelRequested && !latest.IsCancellation)
        {
            await ReplaceAsync(web3, tx, latest, ct);
        }
        else if (pending is null)
        {
            // Dropped from the mempool (or never reached it): the same signed bytes, same nonce, again.
            logger.LogWarning("ChainTx {Id} hash {Hash} unknown to the node: broadcasting again", tx.Id, latest.Hash);
            tx.ResendCount++;
            await submitter.BroadcastAsync(web3, tx, latest, ct);
        }
        else if (now - (tx.LastBroadcastAt ?? latest.CreatedAt) > Options.StuckAfter)
        {
            await ReplaceAsync(web3, tx, latest, ct);
        }
    }

    /// <summary>Same nonce, fees up by at least the 10% nodes require (or a no-op when cancelling).</summary>
    private async Task ReplaceAsync(IWeb3 web3, ChainTx tx, ChainTxAttempt latest, CancellationToken ct)
    {
        var (market, nextBase) = await fees.EstimateAsync(web3, ct);
        var bumped = new Eip1559Fees(latest.MaxFeePerGas, latest.MaxPriorityFeePerGas).BumpedAtLeastTo(market);
        var capped = fees.Cap(bumped, nextBase);
        if (capped is null || capped.MaxFeePerGas < bumped.MaxFeePerGas)
        {
            tx.ErrorCode = "FEE_ABOVE_CEILING";
            tx.ErrorMessage = "a replacement would exceed the fee ceiling; waiting";
            await SaveAsync(tx, ct);
            return;
        }
        var attempt = await submitter.SignAttemptAsync(tx, capped, tx.CancelRequested ? 21_000 : latest.GasLimit, ct);
        tx.Attempts.Add(attempt);
        tx.ResendCount++;
        // Never broadcast an attempt that is not on record: another instance may own the row now.
        if (!await SaveAsync(tx, ct)) return;
        logger.LogWarning("ChainTx {Id} replaced ({Kind}) with {Hash}", tx.Id, attempt.IsCancellation ? "cancel" : "fee bump", attempt.Hash);
        await submitter.BroadcastAsync(web3, tx, attempt, ct);
    }

    private async Task FollowMinedAsync(IWeb3 web3, ChainTx tx, CancellationToken ct)
    {
        var block = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new HexBigInteger(tx.BlockNumber!.Value));
        if (block is null || !string.Equals(block.BlockHash, tx.BlockHash, StringComparison.OrdinalIgnoreCase))
        {
            // The block that held it is no longer canonical: back to Sent, to be found again or re-broadcast.
            logger.LogWarning("ChainTx {Id}: block {Block} was reorganised away", tx.Id, tx.BlockNumber);
            tx.Status = ChainTxStatus.Sent;
            tx.Outcome = null;
            tx.MinedHash = null;
            tx.BlockNumber = null;
            tx.BlockHash = null;
            tx.GasUsed = null;
            tx.EffectiveGasPrice = null;
            tx.ContractAddress = null;
            tx.ErrorCode = "REORGED";
            tx.LastBroadcastAt = null;
            await SaveAsync(tx, ct);
            return;
        }
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        if (head - tx.BlockNumber.Value + 1 < Options.ConfirmationDepth) return;
        var cancelled = tx.Attempts.Any(a => a.IsCancellation && a.Hash == tx.MinedHash);
        tx.Status = cancelled ? ChainTxStatus.Cancelled : ChainTxStatus.Final;
        await SaveAsync(tx, ct);
    }

    private static void RecordReceipt(ChainTx tx, ChainTxAttempt attempt, TransactionReceipt receipt)
    {
        tx.Status = ChainTxStatus.Mined;
        tx.Outcome = receipt.Status?.Value == 1 ? ChainTxOutcome.Succeeded : ChainTxOutcome.Reverted;
        tx.MinedHash = attempt.Hash;
        tx.BlockNumber = (long)receipt.BlockNumber.Value;
        tx.BlockHash = receipt.BlockHash;
        tx.GasUsed = (long)receipt.GasUsed.Value;
        tx.EffectiveGasPrice = receipt.EffectiveGasPrice?.Value;
        tx.ContractAddress = receipt.ContractAddress;
        tx.ErrorCode = tx.Outcome == ChainTxOutcome.Reverted ? "REVERTED" : null;
        tx.ErrorMessage = null;
    }

    private async Task<bool> SaveAsync(ChainTx tx, CancellationToken ct)
    {
        tx.UpdatedAt = Now;
        tx.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}
