using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Transactions;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh node and deployment, a proxy in front of the node (to take RPC down), and an operator
/// (dev account 3) that holds MINTER_ROLE and is used only by the pipeline, so its nonces are ours alone.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public ChainFixture Chain { get; } = new();
    public TcpProxy Proxy { get; private set; } = null!;
    public InMemorySenderKeys Keys { get; } = new();
    public string Operator { get; private set; } = "";
    private readonly string _dir = Directory.CreateTempSubdirectory("lc-pipeline-").FullName;
    private int _dbCounter;

    public async Task InitializeAsync()
    {
        await Chain.InitializeAsync();
        Proxy = new TcpProxy(Chain.Node.Port);
        Operator = Keys.Add(HardhatNode.DevKeys[3]);
        await Chain.Points.GrantRoleRequestAndWaitForReceiptAsync(await Chain.Points.MinterRoleQueryAsync(), Operator);
        await StartBlockProductionAsync();
    }

    /// <summary>
    /// A real chain keeps producing blocks; an idle automining node does not, and nothing would ever
    /// reach confirmation depth. Interval mining gives the node a block every 200 ms.
    /// </summary>
    public Task StartBlockProductionAsync() => RpcAsync("evm_setIntervalMining", "[200]");

    /// <summary>Stops interval mining (and automine when asked) for tests that control every block.</summary>
    public async Task StopBlockProductionAsync(bool automine = true)
    {
        await RpcAsync("evm_setIntervalMining", "[0]");
        await RpcAsync("evm_setAutomine", automine ? "[true]" : "[false]");
    }

    /// <summary>Back to automine plus interval mining.</summary>
    public async Task RestoreBlockProductionAsync()
    {
        await RpcAsync("evm_setAutomine", "[true]");
        await StartBlockProductionAsync();
    }

    /// <summary>A new, empty SQLite file for one test.</summary>
    public string NewDatabase() => Path.Combine(_dir, $"pipeline-{Interlocked.Increment(ref _dbCounter)}.db");

    public ChainTxRequest Mint(string to, BigInteger amount, string? from = null) => new(
        from ?? Operator, Chain.Points.ContractAddress,
        new MintBatchFunction { To = [to], Amounts = [amount] }.GetCallData().ToHex(true), "test.mint");

    public static string NewAddress() => EthECKey.GenerateKey().GetPublicAddress();

    public Task<BigInteger> BalanceAsync(string address) => Chain.Points.BalanceOfQueryAsync(address);

    public async Task<long> ChainNonceAsync(string address) =>
        (long)(await Chain.AdminWeb3.Eth.Transactions.GetTransactionCount.SendRequestAsync(address)).Value;

    public Task<string> RpcAsync(string method, string paramsJson = "[]") => Chain.Node.RpcAsync(method, paramsJson);

    public async Task DisposeAsync()
    {
        if (Proxy is not null) await Proxy.DisposeAsync();
        await Chain.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
