using Loyalty.Chain.Collectibles;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// A fresh node and collectible contract (from <see cref="PipelineFixture"/>) whose operator (dev account 3,
/// used only by the pipeline) holds the minter, drop-admin and claim-signer roles, as an Active program's
/// operator does after activation.
/// </summary>
public sealed class CollectibleFixture : IAsyncLifetime
{
    public PipelineFixture Pipeline { get; } = new();
    public string Contract => Pipeline.Chain.Collectible.ContractAddress;

    public async Task InitializeAsync()
    {
        await Pipeline.InitializeAsync();
        var collectible = Pipeline.Chain.Collectible;
        foreach (var role in new[] { await collectible.MinterRoleQueryAsync(), await collectible.DropAdminRoleQueryAsync(),
                     await collectible.ClaimSignerRoleQueryAsync() })
            await collectible.GrantRoleRequestAndWaitForReceiptAsync(role, Pipeline.Operator);
    }

    /// <summary>One service instance on <paramref name="databaseFile"/>; dispose and start again on the same file to restart.</summary>
    public Task<CollectibleHarness> StartAsync(string databaseFile, IPipelineFaults? faults = null, IDictionary<string, string?>? settings = null) =>
        CollectibleHarness.StartAsync(Pipeline.Chain.Node.RpcUrl, databaseFile, Pipeline.Keys, faults, settings);

    public async Task DisposeAsync() => await Pipeline.DisposeAsync();
}

/// <summary>The library as the host registers it (core + collectibles) on a real SQLite file; every call in its own scope, as a job.</summary>
public sealed class CollectibleHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private CollectibleHarness(ServiceProvider services) => _services = services;

    public static async Task<CollectibleHarness> StartAsync(string rpcUrl, string databaseFile, InMemorySenderKeys keys, IPipelineFaults? faults,
        IDictionary<string, string?>? settings)
    {
        var config = new Dictionary<string, string?>
        {
            ["Chain:RpcUrl"] = rpcUrl,
            ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
            ["Chain:ConfirmationDepth"] = "2",
            ["Chain:RetryBackoff"] = "00:00:00.200",
            ["Custody:DataDirectory"] = Path.GetDirectoryName(databaseFile),
        };
        foreach (var (k, v) in TestDatabase.Settings(databaseFile)) config[k] = v;
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLoyaltyChainCore(configuration);
        services.AddCollectibles();
        services.AddSingleton<ISenderKeys>(keys);
        if (faults is not null) services.AddSingleton(faults);
        var harness = new CollectibleHarness(services.BuildServiceProvider());
        await harness._services.InitializeDatabaseAsync();
        return harness;
    }

    public PipelineRunner Runner => _services.GetRequiredService<PipelineRunner>();

    public async Task<T> WithAsync<TService, T>(Func<TService, Task<T>> use) where TService : notnull
    {
        using var scope = _services.CreateScope();
        return await use(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public Task<T> DbAsync<T>(Func<LoyaltyDbContext, Task<T>> use) => WithAsync(use);

    /// <summary>An Active program on the fixture's contract, operated by the fixture's operator.</summary>
    public Task<LoyaltyProgram> ProgramAsync(CollectibleFixture f) => DbAsync(async db =>
    {
        var program = new LoyaltyProgram
        {
            Name = "Collectible Coffee", PointName = "Beans", PointSymbol = "BEAN", Currency = "EUR", TimeZone = "UTC",
            Status = ProgramStatus.Active, PointsContract = Address.Normalize(f.Pipeline.Chain.Points.ContractAddress),
            CollectibleContract = Address.Normalize(f.Contract), OperatorAddress = f.Pipeline.Operator, CreatedAt = DateTime.UtcNow,
        };
        db.Add(program);
        await db.SaveChangesAsync();
        return program;
    });

    /// <summary>Members written straight to the tables (enrolment itself is tested elsewhere), each with a fresh key.</summary>
    public Task<List<(Member Member, EthECKey Key)>> MembersAsync(long programId, int count, string prefix, string? tier = null) => DbAsync(async db =>
    {
        var keys = Enumerable.Range(0, count).Select(_ => EthECKey.GenerateKey()).ToList();
        var members = keys.Select((k, i) => new Member
        {
            ProgramId = programId, ExternalId = $"{prefix}-{i}", WalletAddress = Address.Normalize(k.GetPublicAddress()),
            WalletKind = WalletKind.Custodial, Tier = tier, CreatedAt = DateTime.UtcNow,
        }).ToList();
        db.AddRange(members);
        await db.SaveChangesAsync();
        db.AddRange(members.Select(m => new MemberBalance { MemberId = m.Id, ProgramId = programId }));
        db.AddRange(members.Select(m => new MemberProfile { MemberId = m.Id, ProgramId = programId, UpdatedAt = DateTime.UtcNow }));
        await db.SaveChangesAsync();
        return members.Zip(keys).Select(x => (x.First, x.Second)).ToList();
    });

    /// <summary>Runs drop passes and the pipeline until <paramref name="done"/> holds (what the recurring jobs do).</summary>
    public async Task DriveAsync(Func<LoyaltyDbContext, Task<bool>> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            await WithAsync<DropProcessor, int>(p => p.RunAsync(CancellationToken.None));
            await Runner.SubmitDueAsync(CancellationToken.None);
            await Runner.ConfirmInFlightAsync(CancellationToken.None);
            if (await DbAsync(done)) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("the drop did not reach the expected state in time");
    }

    /// <summary>Publishes the drop and drives the pipeline until its createDrop is final and its on-chain id known.</summary>
    public async Task<Drop> PublishedAsync(LoyaltyProgram program, long dropId)
    {
        await WithAsync<DropService, Drop>(s => s.PublishAsync(program, dropId, default));
        await DriveAsync(db => db.Set<Drop>().AnyAsync(d => d.Id == dropId && d.Status == DropStatus.Published));
        return await DbAsync(db => db.Set<Drop>().AsNoTracking().SingleAsync(d => d.Id == dropId));
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
