using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The pipeline's own watch over the node and the senders' funds, through the real confirm pass.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class ChainAlertTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    private Task<PipelineHarness> StartAsync() => PipelineHarness.StartAsync(f.Proxy.Url, f.NewDatabase(), f.Keys, settings: new Dictionary<string, string?>
    {
        ["Monitoring:RpcUnavailableAfter"] = "00:00:01",
        ["Monitoring:BalanceCheckEvery"] = "00:00:00",
    });

    private static Task<List<Alert>> AlertsAsync(PipelineHarness h, string code) =>
        h.WithDbAsync(db => db.Set<Alert>().AsNoTracking().Where(a => a.Code == code).ToListAsync());

    [Fact]
    public async Task NodeUnreachableLongerThanTheThreshold_RaisesRpcUnavailable_ResolvedWhenItAnswersAgain()
    {
        await using var h = await StartAsync();
        await h.Runner.ConfirmInFlightAsync(CancellationToken.None);
        try
        {
            f.Proxy.Down();
            await h.Runner.ConfirmInFlightAsync(CancellationToken.None);
            Assert.Empty(await AlertsAsync(h, NodeMonitor.RpcUnavailableAlert)); // a blip under the threshold is no alert

            await Task.Delay(TimeSpan.FromSeconds(1.3));
            await h.Runner.ConfirmInFlightAsync(CancellationToken.None);
            var raised = Assert.Single(await AlertsAsync(h, NodeMonitor.RpcUnavailableAlert));
            Assert.Null(raised.ResolvedAt);
            Assert.Equal($"chain:{HardhatNode.ChainId}", raised.Subject);
            Assert.DoesNotContain(f.Proxy.Url, raised.Message); // an RPC URL may carry a provider's key
        }
        finally
        {
            f.Proxy.Up();
        }
        await h.Runner.ConfirmInFlightAsync(CancellationToken.None);
        Assert.NotNull(Assert.Single(await AlertsAsync(h, NodeMonitor.RpcUnavailableAlert)).ResolvedAt);
    }

    [Fact]
    public async Task SenderBelowTheBalanceWarningLevel_RaisesOperatorBalanceLow_ResolvedOnceFunded()
    {
        await using var h = await StartAsync();
        var sender = PipelineFixture.NewAddress();
        await h.WithDbAsync(async db =>
        {
            db.Add(new SenderState { ChainId = HardhatNode.ChainId, Address = sender, UpdatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        // 0.05 ETH: above Chain:MinOperatorBalanceWei (0.01, where out-of-funds pauses it), below the 0.1 warning.
        await f.RpcAsync("hardhat_setBalance", $"[\"{sender}\", \"0xb1a2bc2ec50000\"]");
        await h.Runner.ConfirmInFlightAsync(CancellationToken.None);
        var raised = Assert.Single(await AlertsAsync(h, NodeMonitor.OperatorBalanceLowAlert));
        Assert.Equal($"{HardhatNode.ChainId}:{sender}", raised.Subject);
        Assert.Null(raised.ResolvedAt);

        await f.RpcAsync("hardhat_setBalance", $"[\"{sender}\", \"0xde0b6b3a7640000\"]"); // 1 ETH
        await h.Runner.ConfirmInFlightAsync(CancellationToken.None);
        Assert.NotNull(Assert.Single(await AlertsAsync(h, NodeMonitor.OperatorBalanceLowAlert)).ResolvedAt);
    }
}
