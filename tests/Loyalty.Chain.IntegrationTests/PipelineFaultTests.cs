using System.Numerics;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Fault tests of the transaction pipeline against a real Hardhat node and a real SQLite file. A
/// "crash" is a <see cref="SimulatedCrash"/> thrown at a fault point followed by a new service
/// instance on the same database: only what was committed survives, as after a process death.
/// </summary>
[Trait("Category", "Fault")]
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class PipelineFaultTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(FaultPoint.AfterQueued)]
    [InlineData(FaultPoint.AfterRecordBeforeBroadcast)]
    [InlineData(FaultPoint.AfterBroadcastBeforeRecord)]
    [InlineData(FaultPoint.AfterReceiptBeforeRecord)]
    public async Task Crash_AtEachPoint_AfterRestartTheIntentIsMinedExactlyOnce(FaultPoint point)
    {
        var db = f.NewDatabase();
        var member = PipelineFixture.NewAddress();
        var nonceBefore = await f.ChainNonceAsync(f.Operator);
        long id;

        var crash = new CrashAt(point);
        await using (var first = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, db, f.Keys, crash))
        {
            id = await first.EnqueueAsync(f.Mint(member, 7));
            if (point != FaultPoint.AfterQueued)
            {
                await Assert.ThrowsAsync<SimulatedCrash>(() => first.Runner.DrainAsync(Drain, CancellationToken.None));
                Assert.True(crash.Fired);
            }
        }

        await using var restarted = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, db, f.Keys);
        Assert.True(await restarted.Runner.DrainAsync(Drain, CancellationToken.None));

        var tx = await restarted.GetAsync(id);
        Assert.Equal(ChainTxStatus.Final, tx.Status);
        Assert.Equal(ChainTxOutcome.Succeeded, tx.Outcome);
        Assert.Equal(new BigInteger(7), await f.BalanceAsync(member));
        Assert.Equal(nonceBefore + 1, await f.ChainNonceAsync(f.Operator));
        Assert.Equal(nonceBefore, tx.Nonce);
    }

    [Fact]
    public async Task RpcDown_WorkIsQueuedNothingMined_CompletesWhenNodeIsBack()
    {
        var db = f.NewDatabase();
        var member = PipelineFixture.NewAddress();
        await using var pipeline = await PipelineHarness.StartAsync(f.Proxy.Url, db, f.Keys);
        f.Proxy.Down();
        try
        {
            var ids = new List<long>();
            for (var i = 0; i < 3; i++) ids.Add(await pipeline.EnqueueAsync(f.Mint(member, 10)));
            for (var pass = 0; pass < 3; pass++)
            {
                await pipeline.Runner.SubmitDueAsync(CancellationToken.None);
                await pipeline.Runner.ConfirmInFlightAsync(CancellationToken.None);
                await Task.Delay(250);
            }
            foreach (var id in ids)
            {
                var tx = await pipeline.GetAsync(id);
                Assert.Equal(ChainTxStatus.Queued, tx.Status);
                Assert.Equal("RPC_UNAVAILABLE", tx.ErrorCode);
                Assert.Null(tx.BlockNumber);
            }
        }
        finally
        {
            f.Proxy.Up();
        }

        Assert.True(await pipeline.Runner.DrainAsync(Drain, CancellationToken.None));
        Assert.Equal(new BigInteger(30), await f.BalanceAsync(member));
    }

    [Fact]
    public async Task RpcDown_AfterSigningBeforeBroadcast_AttemptIsBroadcastWhenNodeIsBack()
    {
        var db = f.NewDatabase();
        var member = PipelineFixture.NewAddress();
        var crash = new CrashAt(FaultPoint.AfterRecordBeforeBroadcast);
        long id;
        await using (var first = await PipelineHarness.StartAsync(f.Proxy.Url, db, f.Keys, crash))
        {
            id = await first.EnqueueAsync(f.Mint(member, 4));
            await Assert.ThrowsAsync<SimulatedCrash>(() => first.Runner.SubmitDueAsync(CancellationToken.None));
        }
        await using var second = await PipelineHarness.StartAsync(f.Proxy.Url, db, f.Keys);
        f.Proxy.Down();
        try
        {
            await second.Runner.ConfirmInFlightAsync(CancellationToken.None);
            var tx = await second.GetAsync(id);
            Assert.Equal(ChainTxStatus.Sent, tx.Status);
            Assert.Null(tx.BlockNumber);
        }
        finally
        {
            f.Proxy.Up();
        }
        Assert.True(await second.Runner.DrainAsync(Drain, CancellationToken.None));
        Assert.Equal(new BigInteger(4), await f.BalanceAsync(member));
    }

    [Fact]
    public async Task DroppedTransaction_IsDetectedAndResubmittedWithTheSameNonce()
    {
        var db = f.NewDatabase();
        var member = PipelineFixture.NewAddress();
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, db, f.Keys);
        await f.StopBlockProductionAsync(automine: false);
        try
        {
            var id = await pipeline.EnqueueAsync(f.Mint(member, 12));
            Assert.Equal(SubmitResult.Sent, await pipeline.Runner.SubmitOneAsync(id, CancellationToken.None));
            var sent = await pipeline.GetAsync(id);
            var hash = sent.Attempts.Single().Hash;

            Assert.Contains("true", await f.RpcAsync("hardhat_dropTransaction", $"[\"{hash}\"]"));
            await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None);

            var resent = await pipeline.GetAsync(id);
            Assert.Equal(ChainTxStatus.Sent, resent.Status);
            Assert.Equal(1, resent.ResendCount);
            Assert.Equal(sent.Nonce, resent.Nonce);
            Assert.Contains(hash, await f.RpcAsync("eth_getTransactionByHash", $"[\"{hash}\"]"));

            await f.RpcAsync("evm_mine");
        }
        finally
        {
            await f.RestoreBlockProductionAsync();
        }
        Assert.True(await pipeline.Runner.DrainAsync(Drain, CancellationToken.None));
        Assert.Equal(new BigInteger(12), await f.BalanceAsync(member));
    }

    [Fact]
    public async Task Reorg_MinedGoesBackIsSentAgainAndReachesFinalExactlyOnce()
    {
        var db = f.NewDatabase();
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, db, f.Keys,
            settings: new Dictionary<string, string?> { ["Chain:ConfirmationDepth"] = "3" });
        await f.StopBlockProductionAsync();
        try
        {
            await ReorgAsync(pipeline);
        }
        finally
        {
            await f.RestoreBlockProductionAsync();
        }
    }

    private async Task ReorgAsync(PipelineHarness pipeline)
    {
        var member = PipelineFixture.NewAddress();
        var snapshot = System.Text.Json.JsonDocument.Parse(await f.RpcAsync("evm_snapshot")).RootElement.GetProperty("result").GetString();

        var id = await pipeline.EnqueueAsync(f.Mint(member, 25));
        await pipeline.Runner.SubmitOneAsync(id, CancellationToken.None);
        Assert.Equal(ChainTxStatus.Mined, await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None));
        var mined = await pipeline.GetAsync(id);

        // Drop the block that holds it and build a different chain of the same height.
        Assert.Contains("true", await f.RpcAsync("evm_revert", $"[\"{snapshot}\"]"));
        for (var i = 0; i < 2; i++) await f.RpcAsync("evm_mine");
        Assert.Equal(BigInteger.Zero, await f.BalanceAsync(member));

        Assert.Equal(ChainTxStatus.Sent, await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None));
        await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None); // not found: broadcast again (automine)
        Assert.Equal(ChainTxStatus.Mined, await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None));
        for (var i = 0; i < 3; i++) await f.RpcAsync("evm_mine");
        Assert.Equal(ChainTxStatus.Final, await pipeline.Runner.ConfirmOneAsync(id, CancellationToken.None));

        var final = await pipeline.GetAsync(id);
        Assert.Equal(ChainTxStatus.Final, final.Status);
        Assert.NotEqual(mined.BlockHash, final.BlockHash);
        Assert.Equal(mined.Nonce, final.Nonce);
        Assert.Equal(new BigInteger(25), await f.BalanceAsync(member));
    }

    [Fact]
    public async Task TwoPipelineInstances_OnOneDatabase_UseEveryNonceOnceWithoutGaps()
    {
        var db = f.NewDatabase();
        var members = Enumerable.Range(0, 4).Select(_ => PipelineFixture.NewAddress()).ToArray();
        var nonceBefore = await f.ChainNonceAsync(f.Operator);
        await using var a = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, db, f.Keys);
        await using var b = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, db, f.Keys);
        const int count = 40;
        for (var i = 0; i < count; i++) await (i % 2 == 0 ? a : b).EnqueueAsync(f.Mint(members[i % members.Length], 1 + i));

        await Task.WhenAll(Task.Run(() => a.Runner.DrainAsync(Drain, CancellationToken.None)),
            Task.Run(() => b.Runner.DrainAsync(Drain, CancellationToken.None)));
        Assert.True(await a.Runner.DrainAsync(Drain, CancellationToken.None));

        var rows = await a.WithDbAsync(d => d.Set<ChainTx>().AsNoTracking().ToListAsync());
        Assert.Equal(count, rows.Count);
        Assert.All(rows, r => Assert.Equal(ChainTxStatus.Final, r.Status));
        var nonces = rows.Select(r => r.Nonce!.Value).OrderBy(n => n).ToList();
        Assert.Equal(Enumerable.Range(0, count).Select(i => nonceBefore + i), nonces);
        Assert.Equal(nonceBefore + count, await f.ChainNonceAsync(f.Operator));
        for (var m = 0; m < members.Length; m++)
        {
            var expected = Enumerable.Range(0, count).Where(i => i % members.Length == m).Sum(i => 1 + i);
            Assert.Equal(new BigInteger(expected), await f.BalanceAsync(members[m]));
        }
    }
}
