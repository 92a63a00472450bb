using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Redemptions through the API with real burns on a real node.</summary>
public sealed class RedemptionTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private LoyaltyPointsService Points => new(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());

    private async Task<(string Id, string Wallet)> MemberWithPointsAsync(long points, Func<string, Task>? beforeEarning = null)
    {
        await EnsureRuleAsync();
        var id = "r-" + Guid.NewGuid().ToString("N")[..10];
        var enrolled = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, tier = "gold" });
        if (beforeEarning is not null) await beforeEarning(id);
        var gift = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = id, eventId = "gift-" + id, amount = $"{points}.00" });
        Assert.Equal(points.ToString(), gift.Body!["points"]!.GetValue<string>());
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        var member = await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey);
        var wallet = member.Body!["walletAddress"]!.GetValue<string>();
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Body!["balance"]!["onChain"]!.GetValue<string>() == points.ToString(), Wait));
        return (id, wallet);
    }

    private async Task EnsureRuleAsync()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift")) return;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
    }

    private async Task<long> RewardAsync(long cost, int? stock = null, object? extra = null)
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = $"coupon {cost}", cost = cost.ToString(), stock });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return r.Body!["id"]!.GetValue<long>();
    }

    private async Task<JsonNode> WaitForStatusAsync(long redemptionId, string status)
    {
        JsonNode? last = null;
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
        {
            last = (await f.Api.GetAsync(f.P($"/redemptions/{redemptionId}"), f.AdminKey)).Body!;
            return last["status"]!.GetValue<string>() == status;
        }, Wait), $"redemption never reached {status}: {last}");
        return last!;
    }

    [Fact]
    public async Task TwoConcurrentRedemptionsExceedingTheBalance_ExactlyOneSucceeds()
    {
        var (member, _) = await MemberWithPointsAsync(100);
        var reward = await RewardAsync(60);

        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, $"race-{member}-{i}")));

        Assert.Single(results, r => r.Status == HttpStatusCode.Created);
        var refused = Assert.Single(results, r => r.Status == HttpStatusCode.Conflict);
        Assert.Equal("INSUFFICIENT_POINTS", refused.Body!["code"]!.GetValue<string>());
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("40", balance["available"]!.GetValue<string>());
        Assert.Equal("60", balance["reserved"]!.GetValue<string>());
    }

    [Fact]
    public async Task CustodialRedemption_IssuesACoupon_AndBurnsOnChainWithTheMembersSignatureWithoutTheirGas()
    {
        var (member, wallet) = await MemberWithPointsAsync(100);
        var reward = await RewardAsync(30, stock: 5);

        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, "once-" + member);
        Assert.Equal(HttpStatusCode.Created, redeemed.Status);
        Assert.Matches("^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$", redeemed.Body!["couponCode"]!.GetValue<string>());
        var replay = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, "once-" + member);
        Assert.Equal(HttpStatusCode.OK, replay.Status);

        await WaitForStatusAsync(redeemed.Body["id"]!.GetValue<long>(), "Completed");
        Assert.Equal(new BigInteger(70), await Points.BalanceOfQueryAsync(wallet));
        Assert.Equal(BigInteger.Zero, (await f.Chain.Chain.AdminWeb3.Eth.GetBalance.SendRequestAsync(wallet)).Value);
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("70", balance["available"]!.GetValue<string>());
        Assert.Equal("0", balance["reserved"]!.GetValue<string>());
        Assert.Equal("70", balance["onChain"]!.GetValue<string>());
    }

    [Fact]
    public async Task SelfCustodyRedemption_MemberSignsTheTypedDataInTheirWallet_AndThePointsBurn()
    {
        var key = EthECKey.GenerateKey();
        var (member, wallet) = await MemberWithPointsAsync(50, async id =>
        {
            var challenge = await f.Api.PostAsync(f.P($"/members/{id}/wallet/challenge"), f.AdminKey, new { address = key.GetPublicAddress() });
            var message = challenge.Body!["message"]!.GetValue<string>();
            var link = await f.Api.PostAsync(f.P($"/members/{id}/wallet/link"), f.AdminKey,
                new { message, signature = new EthereumMessageSigner().EncodeUTF8AndSign(message, key) });
            Assert.Equal(HttpStatusCode.OK, link.Status);
        });
        Assert.Equal(key.GetPublicAddress().ToLowerInvariant(), wallet);
        var reward = await RewardAsync(20);

        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.Equal("AwaitingSignature", redeemed.Body!["status"]!.GetValue<string>());
        var typed = redeemed.Body["typedDataToSign"]!;
        Assert.Equal("Burn", typed["primaryType"]!.GetValue<string>());
        var message = new BurnMessage
        {
            Owner = typed["message"]!["owner"]!.GetValue<string>(), Value = BigInteger.Parse(typed["message"]!["value"]!.GetValue<string>()),
            Nonce = BigInteger.Parse(typed["message"]!["nonce"]!.GetValue<string>()),
            Deadline = BigInteger.Parse(typed["message"]!["deadline"]!.GetValue<string>()),
        };
        var domain = typed["domain"]!;
        var id = redeemed.Body["id"]!.GetValue<long>();

        var forged = LoyaltyTypedData.Sign(message, domain["name"]!.GetValue<string>(), domain["chainId"]!.GetValue<long>(),
            domain["verifyingContract"]!.GetValue<string>(), EthECKey.GenerateKey());
        var refused = await f.Api.PostAsync(f.P($"/redemptions/{id}/signature"), f.AdminKey, new { signature = "0x" + Convert.ToHexString(forged) });
        Assert.Equal("INVALID_SIGNATURE", refused.Body!["code"]!.GetValue<string>());

        var signature = LoyaltyTypedData.Sign(message, domain["name"]!.GetValue<string>(), domain["chainId"]!.GetValue<long>(),
            domain["verifyingContract"]!.GetValue<string>(), key);
        var signed = await f.Api.PostAsync(f.P($"/redemptions/{id}/signature"), f.AdminKey, new { signature = "0x" + Convert.ToHexString(signature) });
        Assert.Equal(HttpStatusCode.OK, signed.Status);

        await WaitForStatusAsync(id, "Completed");
        Assert.Equal(new BigInteger(30), await Points.BalanceOfQueryAsync(wallet));
    }

    [Fact]
    public async Task CancelBeforeBurn_OfARewardWithNothingHandedOut_ReleasesThePointsAndTheStock()
    {
        // Points earned but not yet minted (settlement waits for batches to fill): the burn cannot start yet.
        await EnsureRuleAsync();
        var member = "c-" + Guid.NewGuid().ToString("N")[..10];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = member, eventId = "gift-" + member, amount = "100.00" });
        var other = "c2-" + member;
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = other });
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = other, eventId = "gift-" + other, amount = "100.00" });
        // No code and no collectible: once one is handed out, cancel is refused (see Money/MoneyTests.IssuedRewards.cs).
        var created = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "Experience", name = "tasting", cost = "40", stock = 1 });
        var reward = created.Body!["id"]!.GetValue<long>();

        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.Equal("Reserved", redeemed.Body!["status"]!.GetValue<string>());
        var soldOut = await f.Api.PostAsync(f.P($"/members/{other}/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.Equal("OUT_OF_STOCK", soldOut.Body!["code"]!.GetValue<string>());

        var id = redeemed.Body["id"]!.GetValue<long>();
        var cancelled = await f.Api.PostAsync(f.P($"/redemptions/{id}/cancel"), f.AdminKey, null);
        Assert.Equal("Cancelled", cancelled.Body!["status"]!.GetValue<string>());
        Assert.Equal("Cancelled", (await f.Api.PostAsync(f.P($"/redemptions/{id}/cancel"), f.AdminKey, null)).Body!["status"]!.GetValue<string>());
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("100", balance["available"]!.GetValue<string>());
        Assert.Equal("0", balance["reserved"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{other}/redemptions"), f.AdminKey, new { rewardId = reward })).Status);
    }

    [Fact]
    public async Task RefundAfterBurn_MintsThePointsBack()
    {
        var (member, wallet) = await MemberWithPointsAsync(100);
        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = await RewardAsync(25) });
        var id = redeemed.Body!["id"]!.GetValue<long>();
        await WaitForStatusAsync(id, "Completed");
        Assert.Equal(new BigInteger(75), await Points.BalanceOfQueryAsync(wallet));

        // The member (or a shop) cannot refund a burned redemption: that would hand out the reward for free.
        var token = (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var byMember = new HttpRequestMessage(HttpMethod.Post, f.P($"/redemptions/{id}/cancel"));
        byMember.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Api.Http.SendAsync(byMember)).StatusCode);

        var refunded = await f.Api.PostAsync(f.P($"/redemptions/{id}/cancel"), f.AdminKey, null);
        Assert.Equal("Refunded", refunded.Body!["status"]!.GetValue<string>());
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () => await Points.BalanceOfQueryAsync(wallet) == 100, Wait));
        Assert.Equal("Refunded", (await f.Api.PostAsync(f.P($"/redemptions/{id}/cancel"), f.AdminKey, null)).Body!["status"]!.GetValue<string>());
    }
}
