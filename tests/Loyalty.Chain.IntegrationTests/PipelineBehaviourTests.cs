using System.Numerics;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Fees, replacement, cancellation, reverts and an unfunded sender, on a real node and SQLite.</summary>
[Trait("Category", "Fault")]
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class PipelineBehaviourTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OperatorOutOfGasMoney_PausesSenderRaisesAlertKeepsQueuing_ResumesAfterFunding()
    {
        var key = EthECKey.GenerateKey();
        var sender = f.Keys.Add(key.GetPrivateKey());
        await f.Chain.Points.GrantRoleRequestAndWaitForReceiptAsync(await f.Chain.Points.MinterRoleQueryAsync(), sender);
        await f.RpcAsync("hardhat_setBalance", $"[\"{sender}\", \"0x3e8\"]");
        var member = PipelineFixture.NewAddress();
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys);

        var first = await pipeline.EnqueueAsync(f.Mint(member, 5, from: sender));
        await pipeline.Runner.SubmitDueAsync(CancellationToken.None);

        var state = await pipeline.WithDbAsync(db => db.Set<SenderState>().AsNoTracking().SingleAsync(s => s.Address == sender));
        Assert.True(state.Paused);
        var alert = await pipeline.WithDbAsync(db => db.Set<Alert>().AsNoTracking().SingleAsync(a => a.Code == SenderHealth.OutOfFundsAlert));
        Assert.Null(alert.ResolvedAt);
        Assert.Contains(sender, alert.Subject);
        Assert.Equal(ChainTxStatus.Queued, (await pipeline.GetAsync(first)).Status);

        // Work keeps being accepted while the sender is paused, and none of it is sent.
        var second = await pipeline.EnqueueAsync(f.Mint(member, 6, from: sender));
        await Task.Delay(300);
        await pipeline.Runner.SubmitDueAsync(CancellationToken.None);
        await pipeline.Runner.ConfirmInFlightAsync(CancellationToken.None);
        Assert.Equal(ChainTxStatus.Queued, (await pipeline.GetAsync(second)).Status);
        Assert.Equal(BigInteger.Zero, await f.BalanceAsync(member));

        await f.RpcAsync("hardhat_setBalance", $"[\"{sender}\", \"0x8ac7230489e80000\"]");
        Assert.True(await pipeline.Runner.DrainAsync(Drain, CancellationToken.None));

        Assert.Equal(new BigInteger(11), await f.BalanceAsync(member));
        Assert.False((await pipeline.WithDbAsync(db => db.Set<SenderState>().AsNoTracking().SingleAsync(s => s.Address == sender))).Paused);
        Assert.NotNull((await pipeline.WithDbAsync(db => db.Set<Alert>().AsNoTracking().SingleAsync(a => a.Id == alert.Id))).ResolvedAt);
        Assert.Equal(2, await f.ChainNonceAsync(sender));
    }

    [Fact]
    public async Task StuckTransaction_IsReplacedWithSameNonceAndAtLeastTenPercentHigherFees()
    {
        var member = PipelineFixture.NewAddress();
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys,
            settings: new Dictionary<string, string?> { ["Chain:StuckAfter"] = "00:00:00.500" });
        await f.StopBlockProductionAsync(automine: false);
        long id;
        try
        {
            id = await pipeline.EnqueueAsync(f.Mint(member, 9));
            Assert.Equal(SubmitResult.Sent, await pipeline.Runner.SubmitOneAsync(id, CancellationToken.None));
            await Task.Delay(700);
            await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None);

            var tx = await pipeline.GetAsync(id);
            Assert.Equal(2, tx.Attempts.Count);
            var (old, bumped) = (tx.Attempts[0], tx.Attempts[1]);
            Assert.Equal(old.Nonce, bumped.Nonce);
            Assert.True(bumped.MaxFeePerGas * 10 >= old.MaxFeePerGas * 11);
            Assert.True(bumped.MaxPriorityFeePerGas * 10 >= old.MaxPriorityFeePerGas * 11);
            Assert.Equal(1, tx.ResendCount);
            await f.RpcAsync("evm_mine");
        }
        finally
        {
            await f.RestoreBlockProductionAsync();
        }
        Assert.True(await pipeline.Runner.DrainAsync(Drain, CancellationToken.None));
        var final = await pipeline.GetAsync(id);
        Assert.Equal(final.Attempts[1].Hash, final.MinedHash);
        Assert.Equal(new BigInteger(9), await f.BalanceAsync(member));
    }

    [Fact]
    public async Task CancelAfterSend_ConsumesTheNonceWithANoOpAndMintsNothing()
    {
        var member = PipelineFixture.NewAddress();
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys);
        var nonceBefore = await f.ChainNonceAsync(f.Operator);
        await f.StopBlockProductionAsync(automine: false);
        long id;
        try
        {
            id = await pipeline.EnqueueAsync(f.Mint(member, 13));
            await pipeline.Runner.SubmitOneAsync(id, CancellationToken.None);
            using (var scope = pipeline.Services.CreateScopeForTest())
                Assert.True(await scope.Queue.CancelAsync(id, CancellationToken.None));
            await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None);
            Assert.True((await pipeline.GetAsync(id)).Attempts.Last().IsCancellation);
            await f.RpcAsync("evm_mine");
        }
        finally
        {
            await f.RestoreBlockProductionAsync();
        }
        Assert.True(await pipeline.Runner.DrainAsync(Drain, CancellationToken.None));
        Assert.Equal(ChainTxStatus.Cancelled, (await pipeline.GetAsync(id)).Status);
        Assert.Equal(BigInteger.Zero, await f.BalanceAsync(member));
        Assert.Equal(nonceBefore + 1, await f.ChainNonceAsync(f.Operator));
    }

    [Fact]
    public async Task CancelBeforeSend_IsCancelledWithoutUsingANonce()
    {
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys);
        var id = await pipeline.EnqueueAsync(f.Mint(PipelineFixture.NewAddress(), 1));
        using (var scope = pipeline.Services.CreateScopeForTest())
            Assert.True(await scope.Queue.CancelAsync(id, CancellationToken.None));
        await pipeline.Runner.SubmitDueAsync(CancellationToken.None);
        var tx = await pipeline.GetAsync(id);
        Assert.Equal(ChainTxStatus.Cancelled, tx.Status);
        Assert.Null(tx.Nonce);
        Assert.Empty(tx.Attempts);
    }

    [Fact]
    public async Task RevertingCall_IsErroredWithTheDecodedCustomErrorAndUsesNoNonce()
    {
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys);
        var id = await pipeline.EnqueueAsync(f.Mint(PipelineFixture.NewAddress(), 0));

        Assert.Equal(SubmitResult.Errored, await pipeline.Runner.SubmitOneAsync(id, CancellationToken.None));
        var tx = await pipeline.GetAsync(id);
        Assert.Equal(ChainTxStatus.Errored, tx.Status);
        Assert.Equal("LoyaltyPointsZeroAmount", tx.ErrorCode);
        Assert.Null(tx.Nonce);
    }

    [Fact]
    public async Task SentTransaction_RecordsFeesUnderTheCeilingGasUnderTheCapAndTheBlock()
    {
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys,
            settings: new Dictionary<string, string?> { ["Chain:MaxFeePerGasWei"] = "5000000000" });
        var id = await pipeline.EnqueueAsync(f.Mint(PipelineFixture.NewAddress(), 2));
        Assert.True(await pipeline.Runner.DrainAsync(Drain, CancellationToken.None));

        var tx = await pipeline.GetAsync(id);
        var attempt = Assert.Single(tx.Attempts);
        Assert.True(attempt.MaxFeePerGas <= 5_000_000_000);
        Assert.True(attempt.MaxPriorityFeePerGas <= attempt.MaxFeePerGas);
        Assert.InRange(attempt.GasLimit, tx.GasUsed!.Value, 16_777_216);
        Assert.NotNull(tx.BlockHash);
        Assert.NotNull(tx.EffectiveGasPrice);
    }
}
