using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Nethereum.Contracts;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh Hardhat node with both contracts deployed through the generated bindings. The admin
/// (dev account 0) also holds the minter, pauser, drop-admin and claim-signer roles.
/// </summary>
public sealed class ChainFixture : IAsyncLifetime
{
    public const string PointsName = "Fixture Points";
    public const string CollectibleName = "Fixture Collectibles";

    public HardhatNode Node { get; private set; } = null!;
    public Account Admin { get; } = new(HardhatNode.DevKeys[0], HardhatNode.ChainId);
    public Web3 AdminWeb3 { get; private set; } = null!;
    public LoyaltyPointsService Points { get; private set; } = null!;
    public LoyaltyCollectibleService Collectible { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Node = await HardhatNode.StartAsync();
        AdminWeb3 = Web3For(Admin);

        Points = await LoyaltyPointsService.DeployContractAndGetServiceAsync(AdminWeb3, new LoyaltyPointsDeployment
        {
            Name = PointsName, Symbol = "FPT", Decimals = 0, Admin = Admin.Address,
        });
        Collectible = await LoyaltyCollectibleService.DeployContractAndGetServiceAsync(AdminWeb3, new LoyaltyCollectibleDeployment
        {
            Name = CollectibleName, Symbol = "FCOL", Admin = Admin.Address,
        });

        await Points.GrantRoleRequestAndWaitForReceiptAsync(await Points.MinterRoleQueryAsync(), Admin.Address);
        await Points.GrantRoleRequestAndWaitForReceiptAsync(await Points.PauserRoleQueryAsync(), Admin.Address);
        foreach (var role in new[]
                 {
                     await Collectible.MinterRoleQueryAsync(), await Collectible.DropAdminRoleQueryAsync(),
                     await Collectible.ClaimSignerRoleQueryAsync(), await Collectible.PauserRoleQueryAsync(),
                 })
        {
            await Collectible.GrantRoleRequestAndWaitForReceiptAsync(role, Admin.Address);
        }
    }

    public Web3 Web3For(Account account)
    {
        var web3 = new Web3(account, Node.RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = false;
        return web3;
    }

    public async Task<BigInteger> CreateDropAsync(ulong maxSupply, bool soulbound, string baseUri = "http://127.0.0.1/metadata/")
    {
        var receipt = await Collectible.CreateDropRequestAndWaitForReceiptAsync(maxSupply, baseUri, soulbound, 0, 0);
        return receipt.DecodeAllEvents<DropCreatedEventDTO>().Single().Event.DropId;
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
    }
}
