using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Loyalty.Chain.Transactions;

public enum SubmitResult { NotDue, Sent, Waiting, Errored, Cancelled, LostRace }

/// <summary>
/// Moves a Queued transaction to Sent: estimate, then in one database transaction allocate the nonce,
/// sign and record the attempt (hash and raw bytes) — and only then broadcast. Because the hash is on
/// record before the node can see it, a crash at any point leaves a row the confirm job can finish.
/// </summary>
public sealed class TransactionSubmitter(
    LoyaltyDbContext db,
    Web3Factory web3Factory,
    FeeEstimator fees,
    ISenderKeys keys,
    SenderHealth health,
    IPipelineFaults faults,
    TimeProvider time,
    ILogger<TransactionSubmitter> logger)
{
    private ChainOptions Options => web3Factory.Options;

    public async Task<SubmitResult> SubmitAsync(long id, CancellationToken ct)
    {
        var tx = await db.Set<ChainTx>().Include(t => t.Attempts).SingleOrDefaultAsync(t => t.Id == id, ct);
        var now = Now;
        if (tx is null || tx.Status != ChainTxStatus.Queued || tx.NotBefore > now) return SubmitResult.NotDue;
        if (tx.CancelRequested && tx.Nonce is null) return await FinishAsync(tx, t => t.MarkCancelled(), SubmitResult.Cancelled, ct);
        if (await health.IsPausedAsync(tx.ChainId, tx.From, ct)) return await WaitAsync(tx, "SENDER_PAUSED", "sender is out of funds", ct);

        var web3 = web3Factory.Get();
        long gasLimit;
        Eip1559Fees priced;
        System.Numerics.BigInteger? sweep;
        try
        {
            gasLimit = tx.CancelRequested ? 21_000 : tx.GasLimit ?? await EstimateGasAsync(web3, tx);
            var (market, nextBase) = await fees.EstimateAsync(web3, ct);
            var last = tx.Attempts.OrderBy(a => a.Id).LastOrDefault();
            // A re-signed nonce may still have an earlier variant in some mempool: outbid it.
            var wanted = last is null ? market : new Eip1559Fees(last.MaxFeePerGas, last.MaxPriorityFeePerGas).BumpedAtLeastTo(market);
            var capped = fees.Cap(wanted, nextBase);
            if (capped is null) return await WaitAsync(tx, "FEE_ABOVE_CEILING", $"base fee {nextBase} wei is above the ceiling", ct);
            priced = capped;
            sweep = await SweepAmountAsync(web3, tx, gasLimit, priced);
        }
        catch (Exception ex)
        {
            var failure = RpcErrors.Classify(ex);
            if (failure.Kind == RpcErrorKind.Reverted)
            {
                var name = ContractErrors.NameOf(ContractErrors.RevertData(ex)) ?? "REVERTED";
                logger.LogWarning("ChainTx {Id} ({Purpose}) reverts at estimation: {Error}", tx.Id, tx.Purpose, name);
                return await FinishAsync(tx, t => t.MarkErrored(name, failure.Message), SubmitResult.Errored, ct);
            }
            if (failure.Kind == RpcErrorKind.InsufficientFunds) await health.PauseAsync(tx.ChainId, tx.From, failure.Message, ct);
            return await WaitAsync(tx, failure.Code, failure.Message, ct);
        }
        if (sweep == 0)
            return await FinishAsync(tx, t => t.MarkErrored(SweepNothingLeft, $"the balance of {tx.From} does not cover the transfer's gas at {priced.MaxFeePerGas} wei/gas"),
                SubmitResult.Errored, ct);
        if (gasLimit > Options.MaxTransactionGas)
            return await FinishAsync(tx, t => t.MarkErrored("GAS_ABOVE_CAP", $"needs {gasLimit} gas, cap is {Options.MaxTransactionGas}"), SubmitResult.Errored, ct);

        // The chain is asked before the write transaction, never inside it (only a sender's first nonce needs it).
        long? firstNonce = tx.Nonce is null && !await db.Set<SenderState>().AnyAsync(s => s.ChainId == tx.ChainId && s.Address == tx.From, ct)
            ? (long)(await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(tx.From, BlockParameter.CreatePending())).Value
            : null;
        var (version, nonce) = (tx.Version, tx.Nonce);
        ChainTxAttempt attempt;
        try
        {
            (tx, attempt) = await db.InWriteTransactionAsync(async c =>
            {
                // Re-read inside: on PostgreSQL this delegate may run again after a serialization failure.
                db.ChangeTracker.Clear();
                var row = await db.Set<ChainTx>().Include(t => t.Attempts).SingleAsync(t => t.Id == id, c);
                if (row.Version != version || row.Nonce != nonce) throw new DbUpdateConcurrencyException("moved by another instance");
                row.Nonce ??= await NonceAllocator.NextAsync(db, row.ChainId, row.From, firstNonce, c);
                if (sweep is { } amount) row.Value = amount;
                var signed = await SignAttemptAsync(row, priced, gasLimit, c);
                row.MarkSent(signed, gasLimit);
                row.UpdatedAt = Now;
                row.Version++;
                await db.SaveChangesAsync(c);
                return (row, signed);
            }, ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another instance moved this row first; its nonce allocation rolled back with ours.
            db.ChangeTracker.Clear();
            return SubmitResult.LostRace;
        }
        faults.At(FaultPoint.AfterRecordBeforeBroadcast, tx.Id);
        return await BroadcastAsync(web3, tx, attempt, ct);
    }

    /// <summary>Broadcasts a recorded attempt and reacts to what the node says. Shared with the confirm job.</summary>
    internal async Task<SubmitResult> BroadcastAsync(IWeb3 web3, ChainTx tx, ChainTxAttempt attempt, CancellationToken ct)
    {
        try
        {
            await web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(attempt.RawTransaction);
        }
        catch (Exception ex)
        {
            var failure = RpcErrors.Classify(ex);
            switch (failure.Kind)
            {
                case RpcErrorKind.AlreadyKnown:
                    break;
                case RpcErrorKind.InsufficientFunds:
                    await health.PauseAsync(tx.ChainId, tx.From, failure.Message, ct);
                    return await RequeueAsync(tx, failure, ct);
                case RpcErrorKind.FeeTooLow:
                    return await RequeueAsync(tx, failure, ct);
                default:
                    // Nonce too low, underpriced replacement, transport: the attempt is on record, so the
                    // confirm job finds its receipt, or bumps, or broadcasts it again when the node is back.
                    logger.LogWarning("Broadcast of ChainTx {Id} nonce {Nonce} failed: {Code}", tx.Id, tx.Nonce, failure.Code);
                    tx.ErrorCode = failure.Code;
                    tx.ErrorMessage = failure.Message;
                    tx.UpdatedAt = Now;
                    tx.Version++;
                    await SaveIgnoringRaceAsync(ct);
                    return SubmitResult.Waiting;
            }
        }
        faults.At(FaultPoint.AfterBroadcastBeforeRecord, tx.Id);
        tx.LastBroadcastAt = Now;
        tx.UpdatedAt = Now;
        tx.Version++;
        await SaveIgnoringRaceAsync(ct);
        logger.LogInformation("ChainTx {Id} ({Purpose}) sent: nonce {Nonce} hash {Hash}", tx.Id, tx.Purpose, tx.Nonce, attempt.Hash);
        return SubmitResult.Sent;
    }

    internal async Task<ChainTxAttempt> SignAttemptAsync(ChainTx tx, Eip1559Fees priced, long gasLimit, CancellationToken ct)
    {
        var cancel = tx.CancelRequested;
        var (raw, hash) = await keys.WithKeyAsync(tx.From, key => TransactionSigner.Sign(key, tx.ChainId, tx.Nonce!.Value,
            cancel ? tx.From : tx.To, cancel ? 0 : tx.Value, cancel ? "0x" : tx.Data, gasLimit,
            priced.MaxFeePerGas, priced.MaxPriorityFeePerGas), ct);
        return new ChainTxAttempt
        {
            Hash = hash,
            RawTransaction = raw,
            Nonce = tx.Nonce!.Value,
            MaxFeePerGas = priced.MaxFeePerGas,
            MaxPriorityFeePerGas = priced.MaxPriorityFeePerGas,
            GasLimit = gasLimit,
            IsCancellation = cancel,
            CreatedAt = Now,
        };
    }

    public const string SweepNothingLeft = "SWEEP_NOTHING_LEFT";

    /// <summary>
    /// For a row that empties its sender (<see cref="ChainTxPurposes.SweepsBalance"/>): what it sends when signed at these
    /// fees, read from the balance now (the sender has nothing else in flight), 0 when that no longer covers the gas. Null for
    /// every other row (and for a cancellation, which sends nothing).
    /// </summary>
    internal static async Task<System.Numerics.BigInteger?> SweepAmountAsync(IWeb3 web3, ChainTx tx, long gasLimit, Eip1559Fees fees)
    {
        if (!ChainTxPurposes.SweepsBalance(tx.Purpose) || tx.CancelRequested) return null;
        var balance = (await web3.Eth.GetBalance.SendRequestAsync(tx.From, BlockParameter.CreateLatest())).Value;
        return BalanceSweep.Amount(balance, gasLimit, fees.MaxFeePerGas);
    }

    private async Task<long> EstimateGasAsync(IWeb3 web3, ChainTx tx)
    {
        var estimate = await web3.Eth.Transactions.EstimateGas.SendRequestAsync(new CallInput
        {
            From = tx.From, To = tx.To, Data = tx.Data, Value = new HexBigInteger(tx.Value),
        });
        var withMargin = (long)Math.Ceiling((double)estimate.Value * (1 + Options.GasEstimateMargin));
        // The margin must not push a transaction that fits over the cap.
        return estimate.Value <= Options.MaxTransactionGas ? Math.Min(withMargin, Options.MaxTransactionGas) : (long)estimate.Value;
    }

    /// <summary>The node refused the attempt outright: sign again later with the same nonce.</summary>
    private async Task<SubmitResult> RequeueAsync(ChainTx tx, RpcFailure failure, CancellationToken ct)
    {
        tx.Requeue(failure.Code, failure.Message);
        return await WaitAsync(tx, failure.Code, failure.Message, ct);
    }

    private async Task<SubmitResult> WaitAsync(ChainTx tx, string code, string message, CancellationToken ct)
    {
        tx.ErrorCode = code;
        tx.ErrorMessage = message;
        tx.NotBefore = Now + Options.RetryBackoff;
        tx.UpdatedAt = Now;
        tx.Version++;
        await SaveIgnoringRaceAsync(ct);
        return SubmitResult.Waiting;
    }

    private async Task<SubmitResult> FinishAsync(ChainTx tx, Action<ChainTx> transition, SubmitResult result, CancellationToken ct)
    {
        transition(tx);
        tx.UpdatedAt = Now;
        tx.Version++;
        await SaveIgnoringRaceAsync(ct);
        return result;
    }

    private async Task SaveIgnoringRaceAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another instance got there first; the row is theirs now and the next pass re-reads it.
            db.ChangeTracker.Clear();
        }
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;
}
