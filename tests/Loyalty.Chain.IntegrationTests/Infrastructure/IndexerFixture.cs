using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Signer;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// One automining node (no interval mining: a block only when a test sends a transaction or calls
/// evm_mine, so block numbers are predictable) and a temp folder for SQLite files. Each test deploys
/// its own contracts so every holder and the total supply are the test's alone.
/// </summary>
public sealed class IndexerFixture : IAsyncLifetime
{
    public ChainFixture Chain { get; } = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("lc-indexer-").FullName;
    private int _dbCounter;

    public Task InitializeAsync() => Chain.InitializeAsync();

    public string RpcUrl => Chain.Node.RpcUrl;

    public string NewDatabase() => Path.Combine(_dir, $"indexer-{Interlocked.Increment(ref _dbCounter)}.db");

    public Task<string> RpcAsync(string method, string paramsJson = "[]") => Chain.Node.RpcAsync(method, paramsJson);

    public async Task MineAsync(int blocks)
    {
        for (var i = 0; i < blocks; i++) await RpcAsync("evm_mine");
    }

    public async Task<long> HeadAsync() => (long)(await Chain.AdminWeb3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;

    public async Task<string> SnapshotAsync() =>
        JsonDocument.Parse(await RpcAsync("evm_snapshot")).RootElement.GetProperty("result").GetString()!;

    /// <summary>Reverts the chain; the admin's in-memory nonce is re-read, since its reverted transactions are gone.</summary>
    public async Task RevertAsync(string snapshot)
    {
        Assert.Contains("true", await RpcAsync("evm_revert", $"[\"{snapshot}\"]"));
        if (Chain.Admin.NonceService is { } nonces) await nonces.ResetNonceAsync();
    }

    /// <summary>A fresh points contract; the admin may mint. Returns it and its deployment block.</summary>
    public async Task<(LoyaltyPointsService Points, long Block)> DeployPointsAsync()
    {
        var receipt = await LoyaltyPointsService.DeployContractAndWaitForReceiptAsync(Chain.AdminWeb3, new LoyaltyPointsDeployment
        {
            Name = PointsName, Symbol = "IPT", Decimals = 0, Admin = Chain.Admin.Address,
        });
        var points = new LoyaltyPointsService(Chain.AdminWeb3, receipt.ContractAddress);
        await points.GrantRoleRequestAndWaitForReceiptAsync(await points.MinterRoleQueryAsync(), Chain.Admin.Address);
        return (points, (long)receipt.BlockNumber.Value);
    }

    public const string PointsName = "Indexer Points";

    /// <summary>A fresh collectible contract with one open, transferable drop; the admin may mint.</summary>
    public async Task<(LoyaltyCollectibleService Collectible, long Block, BigInteger DropId)> DeployCollectibleAsync()
    {
        var receipt = await LoyaltyCollectibleService.DeployContractAndWaitForReceiptAsync(Chain.AdminWeb3, new LoyaltyCollectibleDeployment
        {
            Name = "Indexer Collectibles", Symbol = "ICOL", Admin = Chain.Admin.Address,
        });
        var collectible = new LoyaltyCollectibleService(Chain.AdminWeb3, receipt.ContractAddress);
        await collectible.GrantRoleRequestAndWaitForReceiptAsync(await collectible.MinterRoleQueryAsync(), Chain.Admin.Address);
        await collectible.GrantRoleRequestAndWaitForReceiptAsync(await collectible.DropAdminRoleQueryAsync(), Chain.Admin.Address);
        var drop = await collectible.CreateDropRequestAndWaitForReceiptAsync(100, "http://127.0.0.1/metadata/", false, 0, 0);
        return (collectible, (long)receipt.BlockNumber.Value, drop.DecodeAllEvents<DropCreatedEventDTO>().Single().Event.DropId);
    }

    /// <summary>A self-custody wallet the service knows nothing about, given gas money.</summary>
    public async Task<(EthECKey Key, Account Account)> NewWalletAsync()
    {
        var key = EthECKey.GenerateKey();
        var account = new Account(key, HardhatNode.ChainId);
        await RpcAsync("hardhat_setBalance", $"[\"{account.Address}\", \"0x8ac7230489e80000\"]");
        return (key, account);
    }

    public async Task DisposeAsync()
    {
        await Chain.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The indexer as the host registers it (AddLoyaltyChainCore + AddIndexer) on a real SQLite file.
/// Every call runs in its own scope, as a Hangfire job would.
/// </summary>
public sealed class IndexerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private IndexerHarness(ServiceProvider services) => _services = services;

    public static async Task<IndexerHarness> StartAsync(string rpcUrl, string databaseFile, IEnumerable<IndexedContract> contracts,
        int confirmationDepth = 1, int? maxBlockRange = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Chain:RpcUrl"] = rpcUrl,
            ["Chain:ChainId"] = HardhatNode.ChainId.ToString(),
            ["Chain:ConfirmationDepth"] = confirmationDepth.ToString(),
        };
        foreach (var (k, v) in TestDatabase.Settings(databaseFile)) config[k] = v;
        if (maxBlockRange is { } range) config["Indexer:MaxBlockRange"] = range.ToString();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLoyaltyChainCore(configuration);
        services.AddIndexer();
        services.AddSingleton<IIndexedContracts>(new StaticIndexedContracts([.. contracts]));
        var harness = new IndexerHarness(services.BuildServiceProvider());
        await harness._services.InitializeDatabaseAsync();
        return harness;
    }

    public Task<IndexResult> ScanAsync(IndexedContract contract) =>
        WithIndexerAsync(i => i.ScanAsync(contract, CancellationToken.None));

    public Task<IReadOnlyList<IndexResult>> ScanAllAsync() =>
        WithIndexerAsync(i => i.ScanAllAsync(CancellationToken.None));

    public async Task<T> WithIndexerAsync<T>(Func<TransferIndexer, Task<T>> action)
    {
        using var scope = _services.CreateScope();
        return await action(scope.ServiceProvider.GetRequiredService<TransferIndexer>());
    }

    public async Task WithIndexerAsync(Func<TransferIndexer, Task> action)
    {
        using var scope = _services.CreateScope();
        await action(scope.ServiceProvider.GetRequiredService<TransferIndexer>());
    }

    /// <summary>The recurring Hangfire job's body, in its own scope.</summary>
    public async Task RunScanJobAsync()
    {
        using var scope = _services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IndexerJobs>().ScanAllAsync(CancellationToken.None);
    }

    public async Task<T> WithDbAsync<T>(Func<LoyaltyDbContext, Task<T>> query)
    {
        using var scope = _services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>());
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
