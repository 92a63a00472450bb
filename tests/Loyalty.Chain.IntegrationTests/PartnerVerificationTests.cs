using System.Net;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Chain.Api.Features;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Custody;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Partners;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer.EIP712;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Public on-chain balances, the published attestation key and signed attestations, through the real API.</summary>
[Trait(PostgresPass.Trait, PostgresPass.NotThePoint)]
public sealed class PartnerVerificationTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private string Contract => f.Program["pointsContract"]!.GetValue<string>();
    private string Public(string path) => $"/v1/public/programs/{f.ProgramId}{path}";
    private Task<string> FundedMemberAsync(int points, string? tier = null) =>
        PartnerTestSupport.FundedMemberAsync(f.Api, f.ProgramId, f.AdminKey, f.Chain.Chain.AdminWeb3, Contract, points, tier);

    private async Task<(long Number, string Hash)> NodeBlockAsync(long number)
    {
        var block = JsonNode.Parse(await f.Chain.RpcAsync("eth_getBlockByNumber", $"[\"0x{number:x}\", false]"))!["result"]!;
        return ((long)new HexBigInteger(block["number"]!.GetValue<string>()).Value, block["hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task PublicBalance_WithoutKey_IsBalanceOfOnChainAtTheReturnedBlock_WhoseHashIsTheNodes()
    {
        var wallet = await FundedMemberAsync(30);

        var r = await f.Api.GetAsync(Public($"/balances/{wallet}"), null);

        Assert.Equal(HttpStatusCode.OK, r.Status);
        var b = r.Body!;
        Assert.Equal(f.ProgramId, b["programId"]!.GetValue<long>());
        Assert.Equal(HardhatNode.ChainId, b["chainId"]!.GetValue<long>());
        Assert.Equal(Contract, b["contract"]!.GetValue<string>(), ignoreCase: true);
        Assert.Equal(wallet, b["address"]!.GetValue<string>(), ignoreCase: true);
        Assert.Equal("30", b["balance"]!.GetValue<string>());
        Assert.Equal(0, b["decimals"]!.GetValue<int>());
        Assert.Equal("BEAN", b["symbol"]!.GetValue<string>());
        var blockNumber = b["blockNumber"]!.GetValue<long>();
        var onChain = await new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, Contract)
            .BalanceOfQueryAsync(wallet, new BlockParameter(new HexBigInteger(blockNumber)));
        Assert.Equal(new BigInteger(30), onChain);
        Assert.Equal((await NodeBlockAsync(blockNumber)).Hash, b["blockHash"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("0x1234")]
    [InlineData("not-an-address")]
    [InlineData("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267")] // mixed case with a wrong EIP-55 checksum
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb922660")]
    public async Task PublicBalance_WithMalformedAddress_Is400InvalidAddress(string address)
    {
        var r = await f.Api.GetAsync(Public($"/balances/{address}"), null);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal("INVALID_ADDRESS", r.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task PublicEndpoints_ForAnUnknownProgram_Are404UnknownProgram()
    {
        var balance = await f.Api.GetAsync($"/v1/public/programs/999999/balances/{PipelineFixture.NewAddress()}", null);
        var key = await f.Api.GetAsync("/v1/public/programs/999999/attestation-key", null);
        Assert.Equal(HttpStatusCode.NotFound, balance.Status);
        Assert.Equal("UNKNOWN_PROGRAM", balance.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, key.Status);
        Assert.Equal("UNKNOWN_PROGRAM", key.Body!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task PublicEndpoints_OverTheLimitFromOneAddress_Answer429RateLimited_WhileOtherAddressesAreServed()
    {
        var limit = f.Factory.Services.GetRequiredService<IOptions<PublicRateLimitOptions>>().Value.PublicPermitPerMinute;
        var client = IPAddress.Parse("203.0.113.7");
        // A fixed window may roll over once while we send; within 2 x limit + 1 requests one must be refused.
        (int Status, string Body, string? RetryAfter) refused = default;
        var served = 0;
        for (var i = 0; i < 2 * limit + 1 && refused == default; i++)
        {
            var answer = await PublicGetFromAsync(client, Public("/attestation-key"));
            if (answer.Status == StatusCodes.Status200OK) served++;
            else refused = answer;
        }

        Assert.True(served >= limit, $"only {served} of {limit} allowed requests were served");
        Assert.Equal(StatusCodes.Status429TooManyRequests, refused.Status);
        var problem = JsonNode.Parse(refused.Body!)!;
        Assert.Equal("RATE_LIMITED", problem["code"]!.GetValue<string>());
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.True(int.Parse(refused.RetryAfter!) is > 0 and <= 60);
        Assert.Equal(StatusCodes.Status200OK, (await PublicGetFromAsync(IPAddress.Parse("203.0.113.8"), Public("/attestation-key"))).Status);
    }

    /// <summary>The limiter partitions by client IP; the in-memory test server lets a request come from any address.</summary>
    private async Task<(int Status, string Body, string? RetryAfter)> PublicGetFromAsync(IPAddress from, string path)
    {
        var context = await f.Factory.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = path;
            c.Connection.RemoteIpAddress = from;
        });
        using var reader = new StreamReader(context.Response.Body);
        return (context.Response.StatusCode, await reader.ReadToEndAsync(), context.Response.Headers.RetryAfter.FirstOrDefault());
    }

    [Fact]
    public async Task Attestation_VerifiesOfflineToThePublishedKey_AndItsStatementHoldsOnChain()
    {
        var wallet = await FundedMemberAsync(40, tier: "gold");
        var partnerKey = await PartnerTestSupport.PartnerKeyAsync(f.Api, f.ProgramId, f.AdminKey);
        var published = await f.Api.GetAsync(Public("/attestation-key"), null);
        Assert.Equal(HttpStatusCode.OK, published.Status);
        var signer = published.Body!["address"]!.GetValue<string>();
        Assert.Equal(AttestationService.DomainName, published.Body["domain"]!["name"]!.GetValue<string>());
        Assert.Equal(Contract, published.Body["domain"]!["verifyingContract"]!.GetValue<string>(), ignoreCase: true);

        var r = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = wallet, minBalance = "25", tier = "gold" });

        Assert.Equal(HttpStatusCode.OK, r.Status);
        var typedData = r.Body!["typedData"]!;
        var signature = r.Body["signature"]!.GetValue<string>();
        Assert.Equal(signer, r.Body["signer"]!.GetValue<string>());
        // Offline, from the JSON alone, as any EIP-712 library would.
        Assert.Equal(signer, new Eip712TypedDataSigner().RecoverFromSignatureV4(typedData.ToJsonString(), signature), ignoreCase: true);
        // And with the typed message class.
        var m = typedData["message"]!;
        var message = new BalanceAttestation
        {
            Holder = m["holder"]!.GetValue<string>(), Token = m["token"]!.GetValue<string>(),
            MinBalance = BigInteger.Parse(m["minBalance"]!.GetValue<string>()), Tier = m["tier"]!.GetValue<string>(),
            BlockNumber = BigInteger.Parse(m["blockNumber"]!.GetValue<string>()), BlockHash = m["blockHash"]!.GetValue<string>().HexToByteArray(),
            IssuedAt = BigInteger.Parse(m["issuedAt"]!.GetValue<string>()),
        };
        Assert.Equal(signer, AttestationService.Recover(message, HardhatNode.ChainId, Contract, signature.HexToByteArray()), ignoreCase: true);

        // The statement: this holder, this token, at least 25 and tier gold, at a block of this chain.
        Assert.Equal("BalanceAttestation", typedData["primaryType"]!.GetValue<string>());
        Assert.Equal(wallet, message.Holder, ignoreCase: true);
        Assert.Equal(Contract, message.Token, ignoreCase: true);
        Assert.Equal(new BigInteger(25), message.MinBalance);
        Assert.Equal("gold", message.Tier);
        Assert.Equal(HardhatNode.ChainId, typedData["domain"]!["chainId"]!.GetValue<long>());
        var block = (long)message.BlockNumber;
        Assert.Equal((await NodeBlockAsync(block)).Hash, m["blockHash"]!.GetValue<string>());
        Assert.True(await new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, Contract)
            .BalanceOfQueryAsync(wallet, new BlockParameter(new HexBigInteger(block))) >= message.MinBalance);

        // Without minBalance the statement is the balance itself.
        var exact = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = wallet });
        Assert.Equal("40", exact.Body!["typedData"]!["message"]!["minBalance"]!.GetValue<string>());
        Assert.Equal("", exact.Body["typedData"]!["message"]!["tier"]!.GetValue<string>());

        // The attestation key never leaves custody: not in the answers, not in any log line.
        string privateKey;
        using (var scope = f.Factory.Services.CreateScope())
            privateKey = await scope.ServiceProvider.GetRequiredService<CustodyService>()
                .WithServiceKeyAsync(AttestationService.KeyPurpose, f.ProgramId, k => k.GetPrivateKeyAsBytes().ToHex(), CancellationToken.None);
        Assert.DoesNotContain(privateKey, r.Body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(privateKey, published.Body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(privateKey, string.Join('\n', f.Factory.Logs), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Attestation_AboveTheBalance_Is409BelowThreshold_AndATierTheMemberLacks_Is409TierMismatch()
    {
        var wallet = await FundedMemberAsync(10, tier: "silver");
        var partnerKey = await PartnerTestSupport.PartnerKeyAsync(f.Api, f.ProgramId, f.AdminKey);

        var above = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = wallet, minBalance = "11" });
        var tier = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = wallet, minBalance = "10", tier = "gold" });
        var stranger = await f.Api.PostAsync(f.P("/attestations"), partnerKey,
            new { address = PipelineFixture.NewAddress(), minBalance = "0", tier = "silver" });
        var badAmount = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = wallet, minBalance = "-1" });
        var badAddress = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = "0x12" });
        var atBalance = await f.Api.PostAsync(f.P("/attestations"), partnerKey, new { address = wallet, minBalance = "10", tier = "silver" });

        Assert.Equal(HttpStatusCode.Conflict, above.Status);
        Assert.Equal("BELOW_THRESHOLD", above.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, tier.Status);
        Assert.Equal("TIER_MISMATCH", tier.Body!["code"]!.GetValue<string>());
        Assert.Equal("TIER_MISMATCH", stranger.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, badAmount.Status);
        Assert.Equal("INVALID_AMOUNT", badAmount.Body!["code"]!.GetValue<string>());
        Assert.Equal("INVALID_ADDRESS", badAddress.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, atBalance.Status);
    }

    [Fact]
    public async Task Attestation_WithShopKey_Is403_WithoutKey_Is401()
    {
        var shopKey = await PartnerTestSupport.PartnerKeyAsync(f.Api, f.ProgramId, f.AdminKey, role: "shop");
        var body = new { address = PipelineFixture.NewAddress() };

        var asShop = await f.Api.PostAsync(f.P("/attestations"), shopKey, body);
        var anonymous = await f.Api.PostAsync(f.P("/attestations"), null, body);

        Assert.Equal(HttpStatusCode.Forbidden, asShop.Status);
        Assert.Equal("FORBIDDEN", asShop.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
    }
}
