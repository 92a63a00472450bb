using System.Net;
using System.Numerics;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Nethereum.KeyStore;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>A member links a self-custody wallet by signing a SIWE challenge; points are then minted there.</summary>
public sealed class WalletLinkApiTests(NoCoolOffProgramFixture f) : IClassFixture<NoCoolOffProgramFixture>
{
    [Fact]
    public async Task LinkedWallet_ReceivesTheMembersNextMints_AndTheChallengeWorksOnce()
    {
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "fixed", trigger = "visit", effect = new { kind = "Fixed", points = 30 } });
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "linker" })).Status);
        var wallet = EthECKey.GenerateKey();
        var address = wallet.GetPublicAddress();

        var challenge = await f.Api.PostAsync(f.P("/members/linker/wallet/challenge"), f.AdminKey, new { address });
        Assert.Equal(HttpStatusCode.OK, challenge.Status);
        var message = challenge.Body!["message"]!.GetValue<string>();
        Assert.Contains("wants you to sign in with your Ethereum account", message);

        var wrong = new EthereumMessageSigner().EncodeUTF8AndSign(message, EthECKey.GenerateKey());
        var refused = await f.Api.PostAsync(f.P("/members/linker/wallet/link"), f.AdminKey, new { message, signature = wrong });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("SIWE_WRONG_SIGNER", refused.Body!["code"]!.GetValue<string>());

        var signature = new EthereumMessageSigner().EncodeUTF8AndSign(message, wallet);
        var linked = await f.Api.PostAsync(f.P("/members/linker/wallet/link"), f.AdminKey, new { message, signature });
        Assert.Equal(HttpStatusCode.OK, linked.Status);
        Assert.Equal("SelfCustody", linked.Body!["walletKind"]!.GetValue<string>());
        Assert.Equal(address.ToLowerInvariant(), linked.Body["walletAddress"]!.GetValue<string>());

        var replay = await f.Api.PostAsync(f.P("/members/linker/wallet/link"), f.AdminKey, new { message, signature });
        Assert.Equal(HttpStatusCode.Conflict, replay.Status);
        Assert.Equal("SIWE_NONCE_REUSED", replay.Body!["code"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
            new { type = "visit", memberId = "linker", eventId = "visit-1" })).Status);
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await points.BalanceOfQueryAsync(address) == 30, TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task CustodialKeyExport_IsAnEncryptedKeystoreOfTheMembersWallet()
    {
        var enrolled = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "leaver" });
        var walletAddress = enrolled.Body!["walletAddress"]!.GetValue<string>();

        var weak = await f.Api.PostAsync(f.P("/members/leaver/wallet/export"), f.AdminKey, new { password = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.Status);
        var export = await f.Api.PostAsync(f.P("/members/leaver/wallet/export"), f.AdminKey, new { password = "correct horse battery staple" });
        Assert.Equal(HttpStatusCode.OK, export.Status);
        var key = new KeyStoreService().DecryptKeyStoreFromJson("correct horse battery staple", export.Body!.ToJsonString());
        Assert.Equal(walletAddress, new EthECKey(key, true).GetPublicAddress().ToLowerInvariant());

        var asShop = await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role = "shop" });
        var shopKey = asShop.Body!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Forbidden,
            (await f.Api.PostAsync(f.P("/members/leaver/wallet/export"), shopKey, new { password = "correct horse battery staple" })).Status);
    }

    [Fact]
    public async Task Withdrawal_MovesCustodialPointsToTheLinkedWallet_WithoutTheMembersGas()
    {
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "bonus", trigger = "bonus", effect = new { kind = "Fixed", points = 40 } });
        var enrolled = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = "mover" });
        var custodial = enrolled.Body!["walletAddress"]!.GetValue<string>();
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "bonus", memberId = "mover", eventId = "bonus-1" });
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await points.BalanceOfQueryAsync(custodial) == 40, TimeSpan.FromSeconds(60)));

        var notLinked = await f.Api.PostAsync(f.P("/members/mover/withdrawals"), f.AdminKey, null);
        Assert.Equal("NO_LINKED_WALLET", notLinked.Body!["code"]!.GetValue<string>());

        var wallet = EthECKey.GenerateKey();
        var challenge = await f.Api.PostAsync(f.P("/members/mover/wallet/challenge"), f.AdminKey, new { address = wallet.GetPublicAddress() });
        var message = challenge.Body!["message"]!.GetValue<string>();
        await f.Api.PostAsync(f.P("/members/mover/wallet/link"), f.AdminKey,
            new { message, signature = new EthereumMessageSigner().EncodeUTF8AndSign(message, wallet) });

        var token = (await f.Api.PostAsync(f.P("/members/mover/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(HttpMethod.Post, f.P("/members/mover/withdrawals"));
        request.Headers.Authorization = new("Bearer", token);
        var withdrawn = await f.Api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, withdrawn.StatusCode);

        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await points.BalanceOfQueryAsync(wallet.GetPublicAddress()) == 40, TimeSpan.FromSeconds(60)));
        Assert.Equal(BigInteger.Zero, await points.BalanceOfQueryAsync(custodial));
        Assert.Equal(BigInteger.Zero, (await f.Chain.Chain.AdminWeb3.Eth.GetBalance.SendRequestAsync(wallet.GetPublicAddress())).Value);
        var member = await f.Api.GetAsync(f.P("/members/mover"), f.AdminKey);
        Assert.Equal("40", member.Body!["balance"]!["available"]!.GetValue<string>());
    }
}
