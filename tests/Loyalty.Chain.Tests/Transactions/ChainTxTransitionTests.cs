using Loyalty.Chain.Transactions;

namespace Loyalty.Chain.Tests.Transactions;

public sealed class ChainTxTransitionTests
{
    private const string Hash = "0xaa";

    private static ChainTx Queued(string purpose = "settlement.mint") => new() { Id = 7, Purpose = purpose };

    private static ChainTxAttempt Attempt(long nonce, string hash = Hash, bool cancel = false) =>
        new() { Hash = hash, Nonce = nonce, IsCancellation = cancel };

    private static ChainTx Sent(string purpose = "settlement.mint")
    {
        var tx = Queued(purpose);
        tx.Nonce = 4;
        tx.MarkSent(Attempt(4), 50_000);
        return tx;
    }

    private static ChainTxReceipt Receipt(string hash = Hash, bool succeeded = true) => new(hash, succeeded, 10, "0xbb", 40_000, 1, null);

    private static ChainTx Mined()
    {
        var tx = Sent();
        tx.RecordReceipt(Receipt());
        return tx;
    }

    private static ChainTx Final()
    {
        var tx = Mined();
        tx.MarkFinal();
        return tx;
    }

    [Fact]
    public void HappyPath_QueuedSentMinedFinal_RecordsTheReceipt()
    {
        var tx = Queued();
        tx.Nonce = 4;
        tx.MarkSent(Attempt(4), 50_000);
        Assert.Equal(ChainTxStatus.Sent, tx.Status);
        Assert.Equal(50_000, tx.GasLimit);
        tx.RecordReceipt(Receipt(succeeded: false));
        Assert.Equal((ChainTxStatus.Mined, ChainTxOutcome.Reverted, Hash, "REVERTED"), (tx.Status, tx.Outcome, tx.MinedHash, tx.ErrorCode));
        tx.MarkFinal();
        Assert.Equal(ChainTxStatus.Final, tx.Status);
        Assert.True(tx.IsTerminal);
    }

    [Fact]
    public void MarkFinal_WhenTheNoOpCancellationLanded_IsCancelled()
    {
        var tx = Sent();
        tx.CancelRequested = true;
        tx.Attempts.Add(Attempt(4, "0xcc", cancel: true));
        tx.RecordReceipt(Receipt("0xcc"));
        tx.MarkFinal();
        Assert.Equal(ChainTxStatus.Cancelled, tx.Status);
    }

    [Fact]
    public void Reorg_FromMined_GoesBackToSentAndForgetsTheBlock()
    {
        var tx = Mined();
        tx.Reorg();
        Assert.Equal((ChainTxStatus.Sent, null, null, null, "REORGED"), (tx.Status, tx.Outcome, tx.MinedHash, tx.BlockNumber, tx.ErrorCode));
        tx.RecordReceipt(Receipt());
        Assert.Equal(ChainTxStatus.Mined, tx.Status);
    }

    [Fact]
    public void Requeue_FromSent_KeepsTheNonce()
    {
        var tx = Sent();
        tx.Requeue("FEE_TOO_LOW", "fee too low");
        Assert.Equal((ChainTxStatus.Queued, 4L, "FEE_TOO_LOW"), (tx.Status, tx.Nonce, tx.ErrorCode));
        tx.MarkSent(Attempt(4, "0xdd"), 50_000);
        Assert.Equal(2, tx.Attempts.Count);
    }

    [Fact]
    public void ErroredAndCancelled_OnlyFromQueued()
    {
        var errored = Queued();
        errored.MarkErrored("GAS_ABOVE_CAP", "too much");
        Assert.Equal(ChainTxStatus.Errored, errored.Status);
        var cancelled = Queued();
        cancelled.MarkCancelled();
        Assert.Equal(ChainTxStatus.Cancelled, cancelled.Status);
        Assert.True(cancelled.CancelRequested);

        Assert.Throws<ChainTxTransitionException>(() => Sent().MarkErrored("X", null));
        Assert.Throws<ChainTxTransitionException>(() => Sent().MarkCancelled());
        var withNonce = Queued();
        withNonce.Nonce = 3;
        Assert.Throws<ChainTxTransitionException>(() => withNonce.MarkCancelled());
    }

    public static TheoryData<string, string> IllegalMoves => new()
    {
        { "Queued", "RecordReceipt" }, { "Queued", "MarkFinal" }, { "Queued", "Reorg" }, { "Queued", "Requeue" },
        { "Sent", "MarkSent" }, { "Sent", "MarkFinal" }, { "Sent", "Reorg" },
        { "Mined", "MarkSent" }, { "Mined", "RecordReceipt" }, { "Mined", "Requeue" }, { "Mined", "ReleaseNonce" },
        { "Final", "MarkSent" }, { "Final", "RecordReceipt" }, { "Final", "Reorg" }, { "Final", "MarkFinal" }, { "Final", "Requeue" },
        { "Final", "MarkErrored" }, { "Final", "MarkCancelled" },
    };

    [Theory]
    [MemberData(nameof(IllegalMoves))]
    public void IllegalMove_ThrowsAndLeavesTheStatus(string state, string move)
    {
        var tx = state switch { "Queued" => Queued(), "Sent" => Sent(), "Mined" => Mined(), _ => Final() };
        tx.NonceLostPasses = 10;
        var before = tx.Status;
        Action act = move switch
        {
            "MarkSent" => () => tx.MarkSent(Attempt(tx.Nonce ?? 0), 1),
            "RecordReceipt" => () => tx.RecordReceipt(Receipt()),
            "MarkFinal" => tx.MarkFinal,
            "Reorg" => tx.Reorg,
            "Requeue" => () => tx.Requeue("X", "x"),
            "ReleaseNonce" => () => tx.ReleaseNonce(1, "X"),
            "MarkErrored" => () => tx.MarkErrored("X", null),
            _ => tx.MarkCancelled,
        };
        Assert.Throws<ChainTxTransitionException>(act);
        Assert.Equal(before, tx.Status);
    }

    [Fact]
    public void MarkSent_WithAnAttemptOfAnotherNonce_Throws()
    {
        var tx = Queued();
        tx.Nonce = 4;
        Assert.Throws<ChainTxTransitionException>(() => tx.MarkSent(Attempt(5), 1));
        Assert.Equal(ChainTxStatus.Queued, tx.Status);
    }

    [Fact]
    public void RecordReceipt_OfAHashThatIsNotOurs_Throws()
    {
        var tx = Sent();
        Assert.Throws<ChainTxTransitionException>(() => tx.RecordReceipt(Receipt("0xforeign")));
        Assert.Equal(ChainTxStatus.Sent, tx.Status);
    }

    [Fact]
    public void ReleaseNonce_OfAMint_IsRefusedWhateverThePasses()
    {
        var tx = Sent("settlement.mint");
        tx.NonceLostPasses = 100;
        Assert.Throws<ChainTxTransitionException>(() => tx.ReleaseNonce(3, "NONCE_USED_ELSEWHERE"));
        Assert.Equal((ChainTxStatus.Sent, 4L), (tx.Status, tx.Nonce));
    }

    [Fact]
    public void ReleaseNonce_OfAnIdempotentPurpose_NeedsTheConsecutivePasses()
    {
        var tx = Sent("program.setup");
        tx.NonceLostPasses = 2;
        Assert.Throws<ChainTxTransitionException>(() => tx.ReleaseNonce(3, "NONCE_USED_ELSEWHERE"));
        tx.NonceLostPasses = 3;
        tx.ReleaseNonce(3, "NONCE_USED_ELSEWHERE");
        Assert.Equal((ChainTxStatus.Queued, (long?)null, 0, "NONCE_USED_ELSEWHERE"), (tx.Status, tx.Nonce, tx.NonceLostPasses, tx.ErrorCode));
    }

    [Theory]
    [InlineData("settlement.mint", false)]
    [InlineData("drop.mint", false)]
    [InlineData("redemption.burn", false)]
    [InlineData("withdrawal.points", false)]
    [InlineData("program.deploy.points", false)]
    [InlineData("drop.create", false)]
    [InlineData("program.setup", true)]
    [InlineData("drop.claim", true)]
    [InlineData("drop.base_uri", true)]
    [InlineData("minter.sweep", false)]
    public void MayReSign_OnlyPurposesIdempotentOnChain(string purpose, bool expected) =>
        Assert.Equal(expected, ChainTxPurposes.MayReSign(purpose));
}
