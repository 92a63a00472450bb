using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Nethereum.Contracts;
using Nethereum.Signer;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>The generated bindings against a real Hardhat node with fresh deployments.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class ContractBindingTests(ChainFixture chain) : IClassFixture<ChainFixture>
{
    private static long Deadline(int minutes = 30) => DateTimeOffset.UtcNow.AddMinutes(minutes).ToUnixTimeSeconds();

    [Fact]
    public async Task MintBatch_ToSeveralMembers_CreditsEachBalanceAndTotalSupply()
    {
        var members = Enumerable.Range(0, 3).Select(_ => EthECKey.GenerateKey().GetPublicAddress()).ToList();
        var supplyBefore = await chain.Points.TotalSupplyQueryAsync();

        var receipt = await chain.Points.MintBatchRequestAndWaitForReceiptAsync(members, [100, 250, 1]);

        Assert.Equal(1UL, receipt.Status.Value);
        Assert.Equal(3, receipt.DecodeAllEvents<Contracts.LoyaltyPoints.ContractDefinition.TransferEventDTO>().Count);
        Assert.Equal(new BigInteger(100), await chain.Points.BalanceOfQueryAsync(members[0]));
        Assert.Equal(new BigInteger(250), await chain.Points.BalanceOfQueryAsync(members[1]));
        Assert.Equal(BigInteger.One, await chain.Points.BalanceOfQueryAsync(members[2]));
        Assert.Equal(supplyBefore + 351, await chain.Points.TotalSupplyQueryAsync());
    }

    [Fact]
    public async Task MintBatch_WithMismatchedLengths_RevertsWithTypedError()
    {
        var member = EthECKey.GenerateKey().GetPublicAddress();

        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(
            () => chain.Points.MintBatchRequestAndWaitForReceiptAsync([member], [1, 2]));

        Assert.True(ex.IsCustomErrorFor<LoyaltyPointsLengthMismatchError>());
        var error = ex.DecodeError<LoyaltyPointsLengthMismatchError>();
        Assert.Equal(BigInteger.One, error.Recipients);
        Assert.Equal(new BigInteger(2), error.Amounts);
    }

    [Fact]
    public async Task BurnBatchWithSignature_RelayedByOperator_BurnsWithoutGasFromHolders()
    {
        var holders = Enumerable.Range(0, 2).Select(_ => EthECKey.GenerateKey()).ToList();
        var addresses = holders.Select(k => k.GetPublicAddress()).ToList();
        await chain.Points.MintBatchRequestAndWaitForReceiptAsync(addresses, [500, 80]);

        var burns = new List<SignedBurn>();
        for (var i = 0; i < holders.Count; i++)
        {
            var message = new BurnMessage
            {
                Owner = addresses[i], Value = 30 + i, Nonce = await chain.Points.NoncesQueryAsync(addresses[i]), Deadline = Deadline(),
            };
            burns.Add(new SignedBurn
            {
                Owner = message.Owner, Value = message.Value, Nonce = message.Nonce, Deadline = message.Deadline,
                Signature = LoyaltyTypedData.Sign(message, ChainFixture.PointsName, HardhatNode.ChainId, chain.Points.ContractAddress, holders[i]),
            });
        }

        var receipt = await chain.Points.BurnBatchWithSignatureRequestAndWaitForReceiptAsync(burns);

        Assert.Equal(1UL, receipt.Status.Value);
        Assert.Empty(receipt.DecodeAllEvents<SignedBurnSkippedEventDTO>());
        Assert.Equal(new BigInteger(470), await chain.Points.BalanceOfQueryAsync(addresses[0]));
        Assert.Equal(new BigInteger(49), await chain.Points.BalanceOfQueryAsync(addresses[1]));
        foreach (var address in addresses)
            Assert.Equal(BigInteger.Zero, (await chain.AdminWeb3.Eth.GetBalance.SendRequestAsync(address)).Value);

        // The same signatures again: skipped as replays, nothing more burned.
        var replay = await chain.Points.BurnBatchWithSignatureRequestAndWaitForReceiptAsync(burns);
        var skipped = replay.DecodeAllEvents<SignedBurnSkippedEventDTO>();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s => Assert.Equal(
            Nethereum.Util.Sha3Keccack.Current.CalculateHash("LoyaltyPointsInvalidNonce(address,uint256)")[..8],
            Convert.ToHexString(s.Event.Reason).ToLowerInvariant()));
        Assert.Equal(new BigInteger(470), await chain.Points.BalanceOfQueryAsync(addresses[0]));
    }

    [Fact]
    public async Task BurnWithSignature_SignedForAnotherChain_RevertsWithInvalidSigner()
    {
        var holder = EthECKey.GenerateKey();
        var address = holder.GetPublicAddress();
        await chain.Points.MintBatchRequestAndWaitForReceiptAsync([address], [10]);
        var message = new BurnMessage { Owner = address, Value = 5, Nonce = 0, Deadline = Deadline() };
        var signature = LoyaltyTypedData.Sign(message, ChainFixture.PointsName, chainId: 1, chain.Points.ContractAddress, holder);

        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() =>
            chain.Points.BurnWithSignatureRequestAndWaitForReceiptAsync(address, 5, 0, message.Deadline, signature));

        Assert.True(ex.IsCustomErrorFor<LoyaltyPointsInvalidSignerError>());
        Assert.Equal(new BigInteger(10), await chain.Points.BalanceOfQueryAsync(address));
    }

    [Fact]
    public async Task SoulboundTransfer_IsRefusedAndDecodedIntoTypedError()
    {
        var dropId = await chain.CreateDropAsync(maxSupply: 10, soulbound: true);
        var holder = new Account(HardhatNode.DevKeys[1], HardhatNode.ChainId);
        await chain.Collectible.MintBatchRequestAndWaitForReceiptAsync(dropId, [holder.Address]);
        var tokenId = (dropId << 64) | 1;
        Assert.True(await chain.Collectible.LockedQueryAsync(tokenId));

        var holderService = new Contracts.LoyaltyCollectible.LoyaltyCollectibleService(chain.Web3For(holder), chain.Collectible.ContractAddress);
        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() =>
            holderService.TransferFromRequestAndWaitForReceiptAsync(holder.Address, EthECKey.GenerateKey().GetPublicAddress(), tokenId));

        Assert.True(ex.IsCustomErrorFor<LoyaltyCollectibleSoulboundError>());
        Assert.Equal(tokenId, ex.DecodeError<LoyaltyCollectibleSoulboundError>().TokenId);
        Assert.Equal(holder.Address.ToLowerInvariant(), (await chain.Collectible.OwnerOfQueryAsync(tokenId)).ToLowerInvariant());
    }

    [Fact]
    public async Task VoucherClaim_MintsOnceAndReplayIsRejected()
    {
        var dropId = await chain.CreateDropAsync(maxSupply: 5, soulbound: false);
        var member = new Account(HardhatNode.DevKeys[2], HardhatNode.ChainId);
        var voucher = new ClaimMessage { Recipient = member.Address, DropId = dropId, Nonce = 42_000 + (long)dropId, Deadline = Deadline() };
        var signature = LoyaltyTypedData.Sign(voucher, ChainFixture.CollectibleName, HardhatNode.ChainId,
            chain.Collectible.ContractAddress, new EthECKey(HardhatNode.DevKeys[0]));

        // The member submits the voucher from their own wallet.
        var memberService = new Contracts.LoyaltyCollectible.LoyaltyCollectibleService(chain.Web3For(member), chain.Collectible.ContractAddress);
        var receipt = await memberService.ClaimRequestAndWaitForReceiptAsync(member.Address, dropId, voucher.Nonce, voucher.Deadline, signature);

        var claimed = receipt.DecodeAllEvents<VoucherClaimedEventDTO>().Single().Event;
        Assert.Equal((dropId << 64) | 1, claimed.TokenId);
        Assert.Equal(member.Address.ToLowerInvariant(), (await chain.Collectible.OwnerOfQueryAsync(claimed.TokenId)).ToLowerInvariant());
        Assert.True(await chain.Collectible.IsVoucherUsedQueryAsync(voucher.Nonce));

        // Relaying the same voucher again (by the operator) is refused with a typed error.
        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() =>
            chain.Collectible.ClaimRequestAndWaitForReceiptAsync(member.Address, dropId, voucher.Nonce, voucher.Deadline, signature));
        Assert.True(ex.IsCustomErrorFor<LoyaltyCollectibleVoucherUsedError>());
        Assert.Equal(1UL, (await chain.Collectible.GetDropQueryAsync(dropId)).Minted);
    }
}
