using System.Numerics;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The confirmer against a node that lies by omission, and a transaction that never lands: real node, real SQLite.</summary>
[Trait("Category", "Fault")]
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class ChainTxSafetyTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    private const string NonceLost = "TX_NONCE_LOST";
    private const string Stuck = "TX_STUCK";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task MinedMint_WhoseReceiptAndHashTheRpcHides_IsNeverSignedAgain_AndAnAlertIsRaised()
    {
        var member = PipelineFixture.NewAddress();
        await using var rpc = new LaggingRpcProxy(f.Chain.Node.RpcUrl);
        await using var pipeline = await PipelineHarness.StartAsync(rpc.Url, f.NewDatabase(), f.Keys);
        var nonceBefore = await f.ChainNonceAsync(f.Operator);

        var id = await pipeline.EnqueueAsync(f.Mint(member, 7));
        Assert.Equal(SubmitResult.Sent, await pipeline.Runner.SubmitOneAsync(id, None));
        rpc.Hide((await pipeline.GetAsync(id)).Attempts.Single().Hash);
        // Mined, and buried below the safe block (confirmation depth 2, a block every 200 ms).
        await WaitUntilAsync(async () => await f.BalanceAsync(member) == 7);
        await Task.Delay(1_000);

        // Many passes of both jobs: a re-signed mint would have time to be sent and mined.
        for (var pass = 0; pass < 8; pass++)
        {
            await pipeline.Runner.ConfirmInFlightAsync(None);
            await pipeline.Runner.SubmitDueAsync(None);
            await Task.Delay(150);
        }
        await Task.Delay(1_000);

        Assert.Equal(new BigInteger(7), await f.BalanceAsync(member));
        Assert.Equal(nonceBefore + 1, await f.ChainNonceAsync(f.Operator));
        var row = await pipeline.GetAsync(id);
        Assert.Equal(ChainTxStatus.Sent, row.Status);
        Assert.Single(row.Attempts);
        Assert.Equal(NonceLost, row.ErrorCode);
        Assert.True(rpc.HiddenAnswers > 0);
        var alert = await pipeline.WithDbAsync(db => db.Set<Alert>().AsNoTracking()
            .SingleAsync(a => a.Code == NonceLost && a.Subject == $"chaintx:{id}"));
        Assert.Null(alert.ResolvedAt);
        Assert.Contains($"ChainTx {id}", alert.Message);

        // The node catches up: the receipt is found, the row finishes once, the alert is resolved.
        rpc.RevealAll();
        Assert.True(await pipeline.Runner.DrainAsync(TimeSpan.FromSeconds(30), None));
        Assert.Equal(ChainTxStatus.Final, (await pipeline.GetAsync(id)).Status);
        Assert.Equal(new BigInteger(7), await f.BalanceAsync(member));
        Assert.NotNull((await pipeline.WithDbAsync(db => db.Set<Alert>().AsNoTracking().SingleAsync(a => a.Id == alert.Id))).ResolvedAt);
    }

    [Fact]
    public async Task IdempotentPurpose_IsSignedAgainOnlyAfterSeveralConsecutivePassesFindNothing()
    {
        var member = PipelineFixture.NewAddress();
        await using var rpc = new LaggingRpcProxy(f.Chain.Node.RpcUrl);
        await using var pipeline = await PipelineHarness.StartAsync(rpc.Url, f.NewDatabase(), f.Keys,
            settings: new Dictionary<string, string?> { ["Chain:ReSignAfterPasses"] = "3" });
        // A mint labelled with an idempotent purpose, so the test can count what a re-sign would do.
        var id = await pipeline.EnqueueAsync(f.Mint(member, 3) with { Purpose = "program.setup" });
        Assert.Equal(SubmitResult.Sent, await pipeline.Runner.SubmitOneAsync(id, None));
        rpc.Hide((await pipeline.GetAsync(id)).Attempts.Single().Hash);
        await WaitUntilAsync(async () => await f.BalanceAsync(member) == 3);
        await Task.Delay(1_000);

        for (var pass = 1; pass <= 2; pass++)
        {
            await pipeline.Runner.ConfirmOneAsync(id, None);
            var row = await pipeline.GetAsync(id);
            Assert.Equal((ChainTxStatus.Sent, pass), (row.Status, row.NonceLostPasses));
        }
        await pipeline.Runner.ConfirmOneAsync(id, None);
        var released = await pipeline.GetAsync(id);
        Assert.Equal((ChainTxStatus.Queued, (long?)null, "NONCE_USED_ELSEWHERE"), (released.Status, released.Nonce, released.ErrorCode));
    }

    [Fact]
    public async Task TransactionSentLongerThanTheStuckLimit_RaisesTxStuck_ResolvedWhenItLands()
    {
        var member = PipelineFixture.NewAddress();
        await using var pipeline = await PipelineHarness.StartAsync(f.Chain.Node.RpcUrl, f.NewDatabase(), f.Keys,
            settings: new Dictionary<string, string?> { ["Chain:StuckAfter"] = "00:00:00.300", ["Chain:StuckAlertAfter"] = "00:00:04" });
        await f.StopBlockProductionAsync(automine: false);
        long id;
        try
        {
            id = await pipeline.EnqueueAsync(f.Mint(member, 4));
            Assert.Equal(SubmitResult.Sent, await pipeline.Runner.SubmitOneAsync(id, None));
            // The first attempt is older than this; the alert limit is counted from it. (With a 1 s limit and a 0.5 s
            // pause, a loaded CI machine once took the first check past the limit.)
            var sent = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(500);
            await pipeline.Runner.ConfirmOneAsync(id, None);
            Assert.Empty(await OpenAlertsAsync(pipeline, Stuck, id));
            Assert.Equal(2, (await pipeline.GetAsync(id)).Attempts.Count);

            var wait = TimeSpan.FromSeconds(4.3) - sent.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            await pipeline.Runner.ConfirmOneAsync(id, None);
            var alert = Assert.Single(await OpenAlertsAsync(pipeline, Stuck, id));
            Assert.Contains($"ChainTx {id}", alert.Message);
            await f.RpcAsync("evm_mine");
        }
        finally
        {
            await f.RestoreBlockProductionAsync();
        }
        Assert.True(await pipeline.Runner.DrainAsync(TimeSpan.FromSeconds(30), None));
        Assert.Empty(await OpenAlertsAsync(pipeline, Stuck, id));
        Assert.Equal(1, await pipeline.WithDbAsync(db => db.Set<Alert>().CountAsync(a => a.Code == Stuck && a.Subject == $"chaintx:{id}")));
        Assert.Equal(new BigInteger(4), await f.BalanceAsync(member));
    }

    private static Task<List<Alert>> OpenAlertsAsync(PipelineHarness pipeline, string code, long id) =>
        pipeline.WithDbAsync(db => db.Set<Alert>().AsNoTracking().Where(a => a.Code == code && a.Subject == $"chaintx:{id}" && a.ResolvedAt == null).ToListAsync());

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 20 s");
            await Task.Delay(100);
        }
    }
}
