using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>Thrown by <see cref="CrashAt"/>: stands for the process dying at that point.</summary>
public sealed class SimulatedCrash(FaultPoint point) : Exception($"simulated crash at {point}");

/// <summary>Crashes once, at one point of the pipeline.</summary>
public sealed class CrashAt(FaultPoint point) : IPipelineFaults
{
    private int _fired;
    public bool Fired => _fired == 1;

    public void At(FaultPoint where, long chainTxId)
    {
        if (where == point && Interlocked.CompareExchange(ref _fired, 1, 0) == 0) throw new SimulatedCrash(point);
    }
}

/// <summary>
/// One service instance's pipeline, built through the same registration as the host, on a real SQLite
/// file and a real node. Disposing it and building another on the same file is a restart: nothing
/// survives but the database and the chain.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public PipelineHarness(string rpcUrl, string databaseFile, InMemorySenderKeys keys, IPipelineFaults? faults = null,
        IDictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Chain:RpcUrl"] = rpcUrl,
            ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
            ["Chain:ConfirmationDepth"] = "2",
            ["Chain:RetryBackoff"] = "00:00:00.200",
        };
        foreach (var (k, v) in TestDatabase.Settings(databaseFile)) config[k] = v;
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddLoyaltyChainCore(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        services.AddSingleton<ISenderKeys>(keys);
        if (faults is not null) services.AddSingleton(faults);
        _services = services.BuildServiceProvider();
    }

    public IServiceProvider Services => _services;
    public PipelineRunner Runner => _services.GetRequiredService<PipelineRunner>();

    public static async Task<PipelineHarness> StartAsync(string rpcUrl, string databaseFile, InMemorySenderKeys keys,
        IPipelineFaults? faults = null, IDictionary<string, string?>? settings = null)
    {
        var harness = new PipelineHarness(rpcUrl, databaseFile, keys, faults, settings);
        await harness.Services.InitializeDatabaseAsync();
        return harness;
    }

    public async Task<long> EnqueueAsync(ChainTxRequest request)
    {
        using var scope = _services.CreateScope();
        var tx = await scope.ServiceProvider.GetRequiredService<ChainTxQueue>().EnqueueAsync(request, CancellationToken.None);
        return tx.Id;
    }

    public async Task<T> WithDbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = _services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    public Task<ChainTx> GetAsync(long id) =>
        WithDbAsync(db => db.Set<ChainTx>().AsNoTracking().Include(t => t.Attempts).SingleAsync(t => t.Id == id));

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}

public sealed class TestScope(IServiceScope scope) : IDisposable
{
    public ChainTxQueue Queue => scope.ServiceProvider.GetRequiredService<ChainTxQueue>();
    public LoyaltyDbContext Db => scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
    public void Dispose() => scope.Dispose();
}

public static class TestScopeExtensions
{
    public static TestScope CreateScopeForTest(this IServiceProvider services) => new(services.CreateScope());
}
