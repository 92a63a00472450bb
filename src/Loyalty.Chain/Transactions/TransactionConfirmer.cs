using Loyalty.Chain.Telemetry;
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
    Alerts.AlertSink alerts,
    TimeProvider time,
    ILogger<TransactionConfirmer> logger)
{
    public const string StuckAlert = "TX_STUCK";
    public const string NonceLostAlert = "TX_NONCE_LOST";

    private ChainOptions Options => web3Factory.Options;

    public static string AlertSubject(long chainTxId) => $"chaintx:{chainTxId}";

    public async Task<ChainTxStatus?> ConfirmAsync(long id, CancellationToken ct)
    {
        var tx = await db.Set<ChainTx>().Include(t => t.Attempts).SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tx is null) return null;
        var web3 = web3Factory.Get();
        var before = tx.Status;
        try
        {
            if (tx.Status == ChainTxStatus.Sent) await FollowSentAsync(web3, tx, ct);
            else if (tx.Status == ChainTxStatus.Mined) await FollowMinedAsync(web3, tx, ct);
            if (tx.Status != before) CountTransition(tx);
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
            tx.RecordReceipt(new ChainTxReceipt(attempt.Hash, receipt.Status?.Value == 1, (long)receipt.BlockNumber.Value, receipt.BlockHash,
                (long)receipt.GasUsed.Value, receipt.EffectiveGasPrice?.Value, receipt.ContractAddress));
            var alerted = tx.AlertOpen;
            tx.AlertOpen = false;
            if (await SaveAsync(tx, ct) && alerted) await ResolveAlertsAsync(tx.Id, ct);
            logger.LogInformation("ChainTx {Id} mined in block {Block}: {Outcome}", tx.Id, tx.BlockNumber, tx.Outcome);
            return;
        }

        var latest = tx.Attempts.OrderBy(a => a.Id).Last();
        if (nonceAtSafeBlock > tx.Nonce)
        {
            await NonceConsumedWithoutReceiptAsync(web3, tx, nonceAtSafeBlock, ct);
            return;
        }
        if (tx.NonceLostPasses != 0)
        {
            // The run of "nonce consumed, nothing found" passes is broken: it has to start over.
            tx.NonceLostPasses = 0;
            if (!await SaveAsync(tx, ct)) return;
        }
        if (!await RaiseIfStuckAsync(tx, ct)) return;

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
        var gasLimit = tx.CancelRequested ? 21_000 : latest.GasLimit;
        // A sweep sends less so that the higher fee still fits in its sender's balance.
        if (await TransactionSubmitter.SweepAmountAsync(web3, tx, gasLimit, capped) is { } sweep)
        {
            if (sweep == 0)
            {
                tx.ErrorCode = TransactionSubmitter.SweepNothingLeft;
                tx.ErrorMessage = "a replacement's gas would take the whole balance; waiting";
                await SaveAsync(tx, ct);
                return;
            }
            tx.Value = sweep;
        }
        var attempt = await submitter.SignAttemptAsync(tx, capped, gasLimit, ct);
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
            logger.LogWarning("ChainTx {Id}: block {Block} was reorganised away", tx.Id, tx.BlockNumber);
            tx.Reorg();
            await SaveAsync(tx, ct);
            return;
        }
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        if (head - tx.BlockNumber.Value + 1 < Options.ConfirmationDepth) return;
        tx.MarkFinal();
        await SaveAsync(tx, ct);
    }

    /// <summary>
    /// Our nonce is used at the safe block, yet no attempt has a receipt. Usually a lagging or load-balanced node
    /// that has not seen our block yet; only rarely a foreign transaction signed with our key. Signing again with
    /// a new nonce would execute a mined mint twice, so it happens only when every attempt is unknown by hash on
    /// several consecutive passes, and only for a purpose that is idempotent on chain; otherwise an operator decides.
    /// </summary>
    private async Task NonceConsumedWithoutReceiptAsync(IWeb3 web3, ChainTx tx, long nonceAtSafeBlock, CancellationToken ct)
    {
        foreach (var attempt in tx.Attempts)
        {
            if (await web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(attempt.Hash) is null) continue;
            // The node knows one of our hashes: its receipt is on its way.
            tx.NonceLostPasses = 0;
            await SaveAsync(tx, ct);
            return;
        }
        tx.NonceLostPasses++;
        if (tx.NonceLostPasses < Options.ReSignAfterPasses)
        {
            await SaveAsync(tx, ct);
            return;
        }
        if (!ChainTxPurposes.MayReSign(tx.Purpose))
        {
            tx.ErrorCode = NonceLostAlert;
            tx.ErrorMessage = $"nonce {tx.Nonce} is used on chain but no attempt is found by hash or receipt; not signed again ({tx.Purpose} is not idempotent)";
            tx.AlertOpen = true;
            if (!await SaveAsync(tx, ct)) return;
            logger.LogError("ChainTx {Id} ({Purpose}): nonce {Nonce} of {From} consumed, none of its {Count} hashes known; left for an operator",
                tx.Id, tx.Purpose, tx.Nonce, tx.From, tx.Attempts.Count);
            await alerts.RaiseAsync(NonceLostAlert, AlertSubject(tx.Id), $"ChainTx {tx.Id} ({tx.Purpose}) from {tx.From}: {tx.ErrorMessage}. " +
                "Check every hash on a trusted node; if none landed, cancel the business operation and create it again.", ct);
            return;
        }
        logger.LogError("Nonce {Nonce} of {From} was consumed by a foreign transaction; ChainTx {Id} gets a new nonce", tx.Nonce, tx.From, tx.Id);
        await NonceAllocator.ResyncAsync(db, tx.ChainId, tx.From, nonceAtSafeBlock, ct);
        tx.ReleaseNonce(Options.ReSignAfterPasses, "NONCE_USED_ELSEWHERE");
        await SaveAsync(tx, ct);
    }

    /// <summary>Still no receipt long after the first send, replacements included: an operator should look (fees, node).</summary>
    /// <returns>False when another instance moved the row meanwhile (nothing more may be done with it this pass).</returns>
    private async Task<bool> RaiseIfStuckAsync(ChainTx tx, CancellationToken ct)
    {
        var since = tx.Attempts.Min(a => a.CreatedAt);
        if (tx.AlertOpen || Now - since <= Options.StuckAlertAfter) return true;
        tx.AlertOpen = true;
        if (!await SaveAsync(tx, ct)) return false;
        await alerts.RaiseAsync(StuckAlert, AlertSubject(tx.Id),
            $"ChainTx {tx.Id} ({tx.Purpose}) from {tx.From} nonce {tx.Nonce} has no receipt {(int)(Now - since).TotalMinutes} min after it was first sent " +
            $"({tx.ResendCount} resends). Check the node and the fee ceiling.", ct);
        return true;
    }

    private static void CountTransition(ChainTx tx)
    {
        var outcome = tx.Outcome?.ToString() ?? "None";
        if (tx.Status == ChainTxStatus.Mined) Telemetry.LoyaltyMeters.ChainTxMined.AddTagged(1, "outcome", outcome);
        else if (tx.Status == ChainTxStatus.Final) Telemetry.LoyaltyMeters.ChainTxConfirmed.AddTagged(1, "outcome", outcome);
    }

    private async Task ResolveAlertsAsync(long id, CancellationToken ct)
    {
        await alerts.ResolveAsync(StuckAlert, AlertSubject(id), ct);
        await alerts.ResolveAsync(NonceLostAlert, AlertSubject(id), ct);
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
