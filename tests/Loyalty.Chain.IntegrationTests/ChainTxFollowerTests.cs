using System.Collections.Concurrent;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The one follower of finished transactions, with a handler of its own purpose, on a real node and SQLite.</summary>
[Trait("Category", "Fault")]
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class ChainTxFollowerTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    private const string Purpose = "test.follow";

    /// <summary>Counts calls per row; the first call for a chosen row does its work and then "crashes" before the row is marked.</summary>
    private sealed class RecordingHandler : IChainTxOutcomeHandler
    {
        public static readonly ConcurrentDictionary<long, int> Calls = new();
        public static long CrashOnFirstCallOf;

        public IReadOnlyCollection<string> Purposes { get; } = [Purpose];

        public Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
        {
            var n = Calls.AddOrUpdate(tx.Id, 1, (_, c) => c + 1);
            if (tx.Id == CrashOnFirstCallOf && n == 1) throw new SimulatedCrash(FaultPoint.AfterReceiptBeforeRecord);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task FinishedRows_AreHandedToTheirHandlerOnce_AndACrashBeforeTheMarkRunsTheHandlerAgain()
    {
        await using var services = Services(f.NewDatabase());
        await services.InitializeDatabaseAsync();
        var runner = services.GetRequiredService<PipelineRunner>();
        var follower = services.GetRequiredService<ChainTxFollower>();
        async Task<long> EnqueueAsync(ChainTxRequest request)
        {
            using var scope = services.CreateScope();
            return (await scope.ServiceProvider.GetRequiredService<ChainTxQueue>().EnqueueAsync(request, CancellationToken.None)).Id;
        }
        var first = await EnqueueAsync(f.Mint(PipelineFixture.NewAddress(), 1) with { Purpose = Purpose });
        var second = await EnqueueAsync(f.Mint(PipelineFixture.NewAddress(), 2) with { Purpose = Purpose });
        RecordingHandler.CrashOnFirstCallOf = first;

        // Nothing is handed over before it is terminal.
        Assert.Equal(0, await follower.FollowAsync(null, CancellationToken.None));
        Assert.True(await runner.DrainAsync(TimeSpan.FromSeconds(60), CancellationToken.None));

        Assert.Equal(1, await follower.FollowAsync(null, CancellationToken.None));
        Assert.Null(await HandledAtAsync(services, first));
        Assert.NotNull(await HandledAtAsync(services, second));

        // The next pass finds the row whose handler "crashed" and runs it again (handlers are re-entrant); then nothing is left.
        Assert.Equal(1, await follower.FollowAsync([Purpose], CancellationToken.None));
        Assert.NotNull(await HandledAtAsync(services, first));
        Assert.Equal(0, await follower.FollowAsync(null, CancellationToken.None));
        Assert.Equal((2, 1), (RecordingHandler.Calls[first], RecordingHandler.Calls[second]));
    }

    private ServiceProvider Services(string databaseFile)
    {
        var config = new Dictionary<string, string?>
        {
            ["Chain:RpcUrl"] = f.Chain.Node.RpcUrl,
            ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
            ["Chain:ConfirmationDepth"] = "2",
            ["Chain:RetryBackoff"] = "00:00:00.200",
        };
        foreach (var (k, v) in TestDatabase.Settings(databaseFile)) config[k] = v;
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddLoyaltyChainCore(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        services.AddSingleton<ISenderKeys>(f.Keys);
        services.AddScoped<IChainTxOutcomeHandler, RecordingHandler>();
        return services.BuildServiceProvider();
    }

    private static async Task<DateTime?> HandledAtAsync(IServiceProvider services, long id)
    {
        using var scope = services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Set<ChainTx>().AsNoTracking()
            .Where(t => t.Id == id).Select(t => t.OutcomeHandledAt).SingleAsync();
    }
}
