using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.IntegrationTests.Money;

public sealed partial class MoneyTests
{
    private async Task<long> PublishedOpenDropAsync()
    {
        var created = await F.Api.PostAsync(F.P("/drops"), F.AdminKey, new { name = "Open House", description = "Claim yours", maxSupply = 10, audience = new { kind = "OpenClaim" } });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        var dropId = created.Body!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Accepted, (await F.Api.PostAsync(F.P($"/drops/{dropId}/publish"), F.AdminKey, null)).Status);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await F.Api.GetAsync(F.P($"/drops/{dropId}"), F.AdminKey)).Body!["status"]!.GetValue<string>() == "Published", Wait));
        return dropId;
    }

    private async Task<JsonNode> VoucherAsync(long dropId, string member)
    {
        var issued = await F.Api.PostAsync(F.P($"/drops/{dropId}/vouchers"), F.AdminKey, new { memberId = member });
        Assert.True(issued.Status == HttpStatusCode.OK, issued.Body?.ToJsonString());
        return issued.Body!;
    }

    [Fact]
    public async Task VoucherClaimedFromTheMembersOwnWallet_IsRecordedAsClaimed_AndNoSecondVoucherIsSigned()
    {
        var member = await EnrolAsync("claim");
        var key = EthECKey.GenerateKey();
        await SetSelfCustodyAsync(member, key.GetPublicAddress());
        await F.Chain.RpcAsync("hardhat_setBalance", $"[\"{key.GetPublicAddress()}\", \"0x8ac7230489e80000\"]");
        var dropId = await PublishedOpenDropAsync();
        var v = await VoucherAsync(dropId, member);

        var mine = new LoyaltyCollectibleService(F.Chain.Chain.Web3For(new Account(key, HardhatNode.ChainId)), v["contract"]!.GetValue<string>());
        var receipt = await mine.ClaimRequestAndWaitForReceiptAsync(new ClaimFunction
        {
            Recipient = v["recipient"]!.GetValue<string>(), DropId = BigInteger.Parse(v["dropId"]!.GetValue<string>()),
            Nonce = BigInteger.Parse(v["nonce"]!.GetValue<string>()), Deadline = v["deadline"]!.GetValue<long>(),
            Signature = v["signature"]!.GetValue<string>().HexToByteArray(),
        });
        var tokenId = receipt.DecodeAllEvents<VoucherClaimedEventDTO>().Single().Event.TokenId;

        // The indexer records the claim the service did not relay.
        var id = v["id"]!.GetValue<long>();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            await WithDbAsync(db => db.Set<DropVoucher>().AsNoTracking().SingleAsync(x => x.Id == id)) is { Status: VoucherStatus.Claimed } claimed
            && claimed.TokenId == tokenId, Wait), "the direct claim was never recorded");

        // An indexer lagging behind (the claim not recorded yet) and the deadline passed: the chain says the nonce is spent,
        // so no second voucher is signed.
        await ExpireInTheLedgerAsync(id, asIssued: true);
        var again = await VoucherAsync(dropId, member);
        Assert.Equal(v["nonce"]!.GetValue<string>(), again["nonce"]!.GetValue<string>());
        Assert.Equal("Claimed", again["status"]!.GetValue<string>());
    }

    /// <summary>Moves a voucher's deadline a minute into the past (by our clock and the chain's), optionally back to Issued.</summary>
    private Task ExpireInTheLedgerAsync(long voucherId, bool asIssued) => WithDbAsync(async db =>
    {
        var chainNow = (long)(await F.Chain.Chain.AdminWeb3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(
            Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest())).Timestamp.Value;
        var past = Math.Min(chainNow, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) - 60;
        var voucher = db.Set<DropVoucher>().Where(x => x.Id == voucherId);
        if (asIssued) await voucher.ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, VoucherStatus.Issued));
        return await voucher.ExecuteUpdateAsync(u => u.SetProperty(x => x.Deadline, past));
    });

    [Fact]
    public async Task UnusedVoucher_PastItsDeadline_IsReissued()
    {
        var member = await EnrolAsync("late");
        await SetSelfCustodyAsync(member, EthECKey.GenerateKey().GetPublicAddress());
        var dropId = await PublishedOpenDropAsync();
        var v = await VoucherAsync(dropId, member);
        Assert.Equal(v["nonce"]!.GetValue<string>(), (await VoucherAsync(dropId, member))["nonce"]!.GetValue<string>());

        // Its deadline passed and the chain has not seen its nonce: it can never be used, so a new one is signed.
        await ExpireInTheLedgerAsync(v["id"]!.GetValue<long>(), asIssued: false);
        var fresh = await VoucherAsync(dropId, member);
        Assert.NotEqual(v["nonce"]!.GetValue<string>(), fresh["nonce"]!.GetValue<string>());
        Assert.Equal("Issued", fresh["status"]!.GetValue<string>());
    }
}
