using System.Numerics;

namespace Loyalty.Chain.Transactions;

/// <summary>What a receipt says about the attempt that landed.</summary>
public sealed record ChainTxReceipt(string Hash, bool Succeeded, long BlockNumber, string BlockHash, long GasUsed,
    BigInteger? EffectiveGasPrice, string? ContractAddress);

/// <summary>A move the state machine does not allow: a bug in the caller, never a state to persist.</summary>
public sealed class ChainTxTransitionException(long id, ChainTxStatus from, string move)
    : InvalidOperationException($"ChainTx {id}: {move} is not allowed from {from}")
{
    public ChainTxStatus From { get; } = from;
}

/// <summary>
/// The only writers of <see cref="ChainTx.Status"/>:
/// Queued -> Sent -> Mined(Succeeded|Reverted) -> Final | Errored | Cancelled; Mined -> Sent on a reorg;
/// Sent -> Queued keeping the nonce when the node refused an attempt; Sent -> Queued with a new nonce only through
/// <see cref="ReleaseNonce"/>, whose guard is the one place that decides a transaction may be signed twice.
/// </summary>
public sealed partial class ChainTx
{
    /// <summary>A signed attempt is on record (before broadcast): the nonce is now spoken for.</summary>
    public void MarkSent(ChainTxAttempt attempt, long gasLimit)
    {
        Require(ChainTxStatus.Queued, nameof(MarkSent));
        if (Nonce is null || attempt.Nonce != Nonce) throw new ChainTxTransitionException(Id, Status, $"{nameof(MarkSent)} with nonce {attempt.Nonce} (row has {Nonce})");
        Attempts.Add(attempt);
        Status = ChainTxStatus.Sent;
        GasLimit ??= gasLimit;
        ErrorCode = null;
        ErrorMessage = null;
        NotBefore = null;
        NonceLostPasses = 0;
    }

    /// <summary>The node refused the attempt outright; the same nonce is signed again later (it cannot execute twice).</summary>
    public void Requeue(string code, string message)
    {
        Require(ChainTxStatus.Sent, nameof(Requeue));
        Status = ChainTxStatus.Queued;
        ErrorCode = code;
        ErrorMessage = message;
    }

    /// <summary>
    /// Gives the nonce up so the row is signed again with a new one. Allowed only when the purpose is idempotent
    /// on chain and enough consecutive passes saw the nonce consumed with none of our hashes known: a second
    /// execution of a mint or a burn would move assets twice.
    /// </summary>
    public void ReleaseNonce(int requiredPasses, string code)
    {
        Require(ChainTxStatus.Sent, nameof(ReleaseNonce));
        if (!ChainTxPurposes.MayReSign(Purpose))
            throw new ChainTxTransitionException(Id, Status, $"{nameof(ReleaseNonce)} of non-idempotent purpose {Purpose}");
        if (NonceLostPasses < requiredPasses)
            throw new ChainTxTransitionException(Id, Status, $"{nameof(ReleaseNonce)} after {NonceLostPasses} of {requiredPasses} passes");
        Status = ChainTxStatus.Queued;
        Nonce = null;
        NonceLostPasses = 0;
        ErrorCode = code;
    }

    public void RecordReceipt(ChainTxReceipt receipt)
    {
        Require(ChainTxStatus.Sent, nameof(RecordReceipt));
        if (!Attempts.Any(a => string.Equals(a.Hash, receipt.Hash, StringComparison.OrdinalIgnoreCase)))
            throw new ChainTxTransitionException(Id, Status, $"{nameof(RecordReceipt)} of foreign hash {receipt.Hash}");
        Status = ChainTxStatus.Mined;
        Outcome = receipt.Succeeded ? ChainTxOutcome.Succeeded : ChainTxOutcome.Reverted;
        MinedHash = receipt.Hash;
        BlockNumber = receipt.BlockNumber;
        BlockHash = receipt.BlockHash;
        GasUsed = receipt.GasUsed;
        EffectiveGasPrice = receipt.EffectiveGasPrice;
        ContractAddress = receipt.ContractAddress;
        ErrorCode = receipt.Succeeded ? null : "REVERTED";
        ErrorMessage = null;
        NonceLostPasses = 0;
    }

    /// <summary>The block that held it is no longer canonical: back to Sent, to be found again or re-broadcast.</summary>
    public void Reorg()
    {
        Require(ChainTxStatus.Mined, nameof(Reorg));
        Status = ChainTxStatus.Sent;
        Outcome = null;
        MinedHash = null;
        BlockNumber = null;
        BlockHash = null;
        GasUsed = null;
        EffectiveGasPrice = null;
        ContractAddress = null;
        ErrorCode = "REORGED";
        LastBroadcastAt = null;
    }

    /// <summary>
    /// Operator recovery after a reorg deeper than the confirmation depth took it off the chain: back to Queued keeping
    /// its nonce, so it is signed again at that nonce (only one transaction per nonce can ever execute).
    /// </summary>
    public void LostInDeepReorg(long fromBlock)
    {
        if (Status is not (ChainTxStatus.Mined or ChainTxStatus.Final)) throw new ChainTxTransitionException(Id, Status, nameof(LostInDeepReorg));
        if (Nonce is null) throw new ChainTxTransitionException(Id, Status, $"{nameof(LostInDeepReorg)} without a nonce");
        Status = ChainTxStatus.Queued;
        Outcome = null;
        MinedHash = null;
        BlockNumber = null;
        BlockHash = null;
        GasUsed = null;
        EffectiveGasPrice = null;
        NotBefore = null;
        ErrorCode = "REORG_LOST";
        ErrorMessage = $"lost in a reorg at or after block {fromBlock}; sent again";
    }

    /// <summary>A reorg re-included it in another block: same outcome, new place.</summary>
    public void MovedToBlock(long blockNumber, string blockHash)
    {
        if (Status is not (ChainTxStatus.Mined or ChainTxStatus.Final)) throw new ChainTxTransitionException(Id, Status, nameof(MovedToBlock));
        BlockNumber = blockNumber;
        BlockHash = blockHash;
    }

    /// <summary>At confirmation depth: Final, or Cancelled when the no-op replacement is what landed.</summary>
    public void MarkFinal()
    {
        Require(ChainTxStatus.Mined, nameof(MarkFinal));
        Status = Attempts.Any(a => a.IsCancellation && a.Hash == MinedHash) ? ChainTxStatus.Cancelled : ChainTxStatus.Final;
    }

    /// <summary>It never went on chain and will not (a revert at estimation, too much gas).</summary>
    public void MarkErrored(string code, string? message)
    {
        Require(ChainTxStatus.Queued, nameof(MarkErrored));
        Status = ChainTxStatus.Errored;
        ErrorCode = code;
        ErrorMessage = message;
    }

    /// <summary>Withdrawn before any nonce was taken; with a nonce the no-op replacement has to land instead.</summary>
    public void MarkCancelled()
    {
        Require(ChainTxStatus.Queued, nameof(MarkCancelled));
        if (Nonce is not null) throw new ChainTxTransitionException(Id, Status, $"{nameof(MarkCancelled)} while holding nonce {Nonce}");
        Status = ChainTxStatus.Cancelled;
        CancelRequested = true;
        ErrorCode = null;
        ErrorMessage = null;
    }

    private void Require(ChainTxStatus expected, string move)
    {
        if (Status != expected) throw new ChainTxTransitionException(Id, Status, move);
    }
}

/// <summary>
/// Purposes whose call can run twice on chain without harm, so a lost nonce may be signed again: granting a role
/// is a no-op the second time, a voucher can be used once, a drop's base URI set twice to the same value is the same URI
/// (and no other change to it can be queued while one is pending). Mints, burns, transfers and deployments are not.
/// </summary>
public static class ChainTxPurposes
{
    private static readonly HashSet<string> ReSignable = [Programs.ProgramActivation.SetupPurpose, Collectibles.DropProcessor.ClaimPurpose, Sunset.DropRehosting.BaseUriPurpose];

    public static bool MayReSign(string purpose) => ReSignable.Contains(purpose);

    private static readonly HashSet<string> Sweeps = [Ownership.MinterRotation.SweepPurpose];

    /// <summary>
    /// Purposes that empty their sender (<see cref="BalanceSweep"/>): each signature sends the balance less that signature's
    /// worst-case gas, so a fee bump lowers the value instead of asking for more than the key holds.
    /// </summary>
    public static bool SweepsBalance(string purpose) => Sweeps.Contains(purpose);
}

/// <summary>Emptying a key of its ETH with one plain transfer (a retired minter's gas money back to the relayer).</summary>
public static class BalanceSweep
{
    public const long TransferGas = 21_000;

    /// <summary>What a transfer signed at <paramref name="maxFeePerGas"/> can send from <paramref name="balance"/>: the rest pays its gas at worst (0 when nothing is left).</summary>
    public static System.Numerics.BigInteger Amount(System.Numerics.BigInteger balance, long gasLimit, System.Numerics.BigInteger maxFeePerGas) =>
        System.Numerics.BigInteger.Max(balance - gasLimit * maxFeePerGas, 0);

    /// <summary>Below this a balance is dust, not worth a transaction: twice the transfer's gas at <paramref name="maxFeePerGas"/>.</summary>
    public static System.Numerics.BigInteger DustLimit(System.Numerics.BigInteger maxFeePerGas) => 2 * TransferGas * maxFeePerGas;
}
