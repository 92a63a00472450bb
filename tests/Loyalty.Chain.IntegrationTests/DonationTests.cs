using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Donations;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Redemption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Donations: a Donation reward burns points for a cause on the real node, and the cause's totals follow.</summary>
public sealed class DonationTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private LoyaltyPointsService Points => new(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());

    private async Task<(string Id, string Wallet)> MemberWithPointsAsync(long points)
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var id = "d-" + Guid.NewGuid().ToString("N")[..10];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id });
        var gift = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = "gift", memberId = id, eventId = "gift-" + id, amount = $"{points}.00" });
        Assert.Equal(points.ToString(), gift.Body!["points"]!.GetValue<string>());
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Body!["balance"]!["onChain"]!.GetValue<string>() == points.ToString(), Wait));
        return (id, (await f.Api.GetAsync(f.P($"/members/{id}"), f.AdminKey)).Body!["walletAddress"]!.GetValue<string>());
    }

    private async Task<long> CauseAsync(string name, string? url = null)
    {
        var created = await f.Api.PostAsync(f.P("/causes"), f.AdminKey, new { name, description = "trees for the hills", url });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Body!["id"]!.GetValue<long>();
    }

    private async Task<long> DonationRewardAsync(long causeId, long cost)
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "Donation", name = $"donate {cost}", cost = cost.ToString(), causeId });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        Assert.Equal("None", r.Body!["coupons"]!.GetValue<string>());
        Assert.Equal(causeId, r.Body["causeId"]!.GetValue<long>());
        return r.Body["id"]!.GetValue<long>();
    }

    private async Task<JsonNode> RedeemAsync(string member, long reward)
    {
        var r = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward }, "don-" + Guid.NewGuid().ToString("N"));
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        Assert.Null(r.Body!["couponCode"]);
        return r.Body;
    }

    private async Task WaitForStatusAsync(long redemptionId, string status) =>
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.GetAsync(f.P($"/redemptions/{redemptionId}"), f.AdminKey)).Body!["status"]!.GetValue<string>() == status, Wait),
            $"redemption {redemptionId} never reached {status}");

    private async Task<JsonNode> TotalsAsync(long causeId)
    {
        var t = await f.Api.GetAsync(f.P($"/causes/{causeId}/totals"), f.AdminKey);
        Assert.Equal(HttpStatusCode.OK, t.Status);
        return t.Body!;
    }

    [Fact]
    public async Task Donation_BurnsOnTheRealNode_AndTheCauseTotalsCountBurnedPendingAndDistinctDonors_ButNotCancelledOnes()
    {
        var (alice, aliceWallet) = await MemberWithPointsAsync(100);
        var (bob, bobWallet) = await MemberWithPointsAsync(50);
        var trees = await CauseAsync("Plant trees", "https://trees.example.org/plant");
        var other = await CauseAsync("Clean rivers");
        var donate30 = await DonationRewardAsync(trees, 30);

        // Alice donates twice; Bob donates and cancels before the burn (nothing was handed out, so he may).
        var first = await RedeemAsync(alice, donate30);
        var bobs = await RedeemAsync(bob, donate30);
        var cancelled = await f.Api.PostAsync(f.P($"/redemptions/{bobs["id"]}/cancel"), f.AdminKey, null, "cancel-" + bob);
        Assert.True(cancelled.Body!["status"]!.GetValue<string>() == "Cancelled", cancelled.Body.ToJsonString());
        await WaitForStatusAsync(first["id"]!.GetValue<long>(), "Completed");
        var second = await RedeemAsync(alice, donate30);

        // Before the second burn lands it is pending; the totals are what the redemptions say at that moment.
        var during = await TotalsAsync(trees);
        Assert.Equal("Plant trees", during["name"]!.GetValue<string>());
        Assert.Equal(60, long.Parse(during["donatedPoints"]!.GetValue<string>()) + long.Parse(during["pendingPoints"]!.GetValue<string>()));

        await WaitForStatusAsync(second["id"]!.GetValue<long>(), "Completed");
        var totals = await TotalsAsync(trees);
        Assert.Equal(trees, totals["causeId"]!.GetValue<long>());
        Assert.Equal("60", totals["donatedPoints"]!.GetValue<string>());
        Assert.Equal("0", totals["pendingPoints"]!.GetValue<string>());
        Assert.Equal(1, totals["donors"]!.GetValue<int>());
        Assert.Equal(2, totals["donations"]!.GetValue<int>());

        // Burned on chain: the node agrees with the ledger, and the reconciler finds no drift.
        Assert.Equal(new BigInteger(40), await Points.BalanceOfQueryAsync(aliceWallet));
        Assert.Equal(new BigInteger(50), await Points.BalanceOfQueryAsync(bobWallet));
        var aliceBalance = (await f.Api.GetAsync(f.P($"/members/{alice}"), f.AdminKey)).Body!["balance"]!;
        Assert.Equal("40", aliceBalance["available"]!.GetValue<string>());
        Assert.Equal("40", aliceBalance["onChain"]!.GetValue<string>());
        Assert.True(await LoyaltyApi.EventuallyAsync(async () =>
            (await f.Api.PostAsync(f.P("/reconciliation"), f.AdminKey, null)).Body!["reconciled"]!.GetValue<bool>(), Wait), "ledger != chain");

        // All causes: every cause listed, the one nobody gave to with zeros.
        var all = (await f.Api.GetAsync(f.P("/causes/totals"), f.AdminKey)).Body!.AsArray();
        Assert.Equal("60", all.Single(x => x!["causeId"]!.GetValue<long>() == trees)!["donatedPoints"]!.GetValue<string>());
        var none = all.Single(x => x!["causeId"]!.GetValue<long>() == other)!;
        Assert.Equal("0", none["donatedPoints"]!.GetValue<string>());
        Assert.Equal(0, none["donors"]!.GetValue<int>());
    }

    [Fact]
    public async Task ADonation_CountsOnceWhetherPendingOrBurned_AndARefundedOneCountsNowhere()
    {
        var cause = await CauseAsync("Food bank");
        var reward = await DonationRewardAsync(cause, 10);
        var (member, _) = await MemberWithPointsAsync(20);
        var id = (await RedeemAsync(member, reward))["id"]!.GetValue<long>();
        var early = await TotalsAsync(cause);
        Assert.Equal(10, long.Parse(early["donatedPoints"]!.GetValue<string>()) + long.Parse(early["pendingPoints"]!.GetValue<string>()));
        Assert.Equal(1, early["donations"]!.GetValue<int>());

        await WaitForStatusAsync(id, "Completed");
        var refunded = await f.Api.PostAsync(f.P($"/redemptions/{id}/cancel"), f.AdminKey, null, "refund-" + member);
        Assert.Equal("Refunded", refunded.Body!["status"]!.GetValue<string>());
        var totals = await TotalsAsync(cause);
        Assert.Equal("0", totals["donatedPoints"]!.GetValue<string>());
        Assert.Equal("0", totals["pendingPoints"]!.GetValue<string>());
        Assert.Equal(0, totals["donations"]!.GetValue<int>());
        Assert.Equal(0, totals["donors"]!.GetValue<int>());
    }

    [Fact]
    public async Task CauseAndDonationRewardValidation_RefusesWithCodes_AndChangesNothing()
    {
        async Task<(int Causes, int Rewards)> CountsAsync()
        {
            using var scope = f.Factory.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            return (await db.Set<Cause>().CountAsync(c => c.ProgramId == f.ProgramId), await db.Set<Reward>().CountAsync(r => r.ProgramId == f.ProgramId));
        }
        var cause = await CauseAsync("Valid cause");
        var before = await CountsAsync();

        async Task Refused(string path, object body, string code, HttpStatusCode status = HttpStatusCode.BadRequest, HttpMethod? method = null)
        {
            var r = await f.Api.SendAsync(method ?? HttpMethod.Post, f.P(path), f.AdminKey, body);
            Assert.True(r.Status == status && r.Body?["code"]?.GetValue<string>() == code, $"{path} {System.Text.Json.JsonSerializer.Serialize(body)}: {(int)r.Status} {r.Body?.ToJsonString()}");
        }
        await Refused("/causes", new { description = "no name" }, "INVALID_CAUSE");
        await Refused("/causes", new { name = "   " }, "INVALID_CAUSE");
        await Refused("/causes", new { name = new string('x', 201) }, "INVALID_CAUSE");
        await Refused("/causes", new { name = "Plain http", url = "http://trees.example.org" }, "INVALID_CAUSE_URL");
        await Refused("/causes", new { name = "Script", url = "javascript:alert(1)" }, "INVALID_CAUSE_URL");
        await Refused("/causes", new { name = "Creds", url = "https://user:pw@trees.example.org" }, "INVALID_CAUSE_URL");
        await Refused("/causes", new { name = "Relative", url = "/trees" }, "INVALID_CAUSE_URL");
        await Refused("/causes", new { name = "Newline", url = "https://trees.example.org/\n" }, "INVALID_CAUSE_URL");
        await Refused("/rewards", new { type = "Donation", name = "no cause", cost = "10" }, "CAUSE_REQUIRED");
        await Refused("/rewards", new { type = "DiscountCoupon", name = "coupon with cause", cost = "10", causeId = cause }, "CAUSE_NOT_ALLOWED");
        await Refused("/rewards", new { type = "Donation", name = "unknown cause", cost = "10", causeId = 999999 }, "UNKNOWN_CAUSE", HttpStatusCode.NotFound);
        await Refused("/rewards", new { type = "Donation", name = "with coupons", cost = "10", causeId = cause, coupons = "Generated" }, "INVALID_REWARD");
        await Refused($"/causes/{cause}", new { url = "ftp://x.example.org" }, "INVALID_CAUSE_URL", method: HttpMethod.Patch);
        await Refused($"/causes/{cause}", new { name = "" }, "INVALID_CAUSE", method: HttpMethod.Patch);
        await Refused("/causes/999999", new { active = false }, "UNKNOWN_CAUSE", HttpStatusCode.NotFound, HttpMethod.Patch);
        Assert.Equal(before, await CountsAsync());
        var unchanged = (await f.Api.GetAsync(f.P("/causes"), f.AdminKey)).Body!.AsArray().Single(c => c!["id"]!.GetValue<long>() == cause)!;
        Assert.Equal("Valid cause", unchanged["name"]!.GetValue<string>());
        Assert.Null(unchanged["url"]);
        Assert.Equal(HttpStatusCode.NotFound, (await f.Api.GetAsync(f.P("/causes/999999/totals"), f.AdminKey)).Status);
    }

    [Fact]
    public async Task InactiveCause_IsHiddenFromMembers_AndItsDonationRewardsCannotBeRedeemed()
    {
        var cause = await CauseAsync("Seasonal appeal");
        var reward = await DonationRewardAsync(cause, 5);
        var (member, _) = await MemberWithPointsAsync(10);
        var patched = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/causes/{cause}"), f.AdminKey, new { active = false, url = "https://appeal.example.org" });
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.False(patched.Body!["active"]!.GetValue<bool>());
        Assert.Equal("https://appeal.example.org", patched.Body["url"]!.GetValue<string>());

        var refused = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = reward });
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("REWARD_NOT_AVAILABLE", refused.Body!["code"]!.GetValue<string>());
        Assert.Equal("10", (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>());

        var token = (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();
        var request = new HttpRequestMessage(HttpMethod.Get, f.P("/causes"));
        request.Headers.Authorization = new("Bearer", token);
        var listed = JsonNode.Parse(await (await f.Api.Http.SendAsync(request)).Content.ReadAsStringAsync())!.AsArray();
        Assert.DoesNotContain(listed, c => c!["id"]!.GetValue<long>() == cause);
        Assert.Contains((await f.Api.GetAsync(f.P("/causes"), f.AdminKey)).Body!.AsArray(), c => c!["id"]!.GetValue<long>() == cause);
    }
}
