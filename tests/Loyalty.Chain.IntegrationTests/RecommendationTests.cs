using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Recommended rewards from a small crafted purchase history, through the API on a real SQLite file.</summary>
public sealed class RecommendationTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private async Task<long> RewardAsync(string name, long cost, string? category, object? extra = null)
    {
        var body = new JsonObject { ["type"] = "FreeProduct", ["name"] = name, ["cost"] = cost.ToString() };
        if (category is not null) body["attributes"] = new JsonObject { ["category"] = category };
        if (extra is not null)
            foreach (var (k, v) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)))!.AsObject())
                body[k] = v?.DeepClone();
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, body);
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        return r.Body!["id"]!.GetValue<long>();
    }

    private async Task BuyAsync(string member, string category, int euros)
    {
        var r = await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
        {
            type = "purchase", memberId = member, eventId = "o-" + Guid.NewGuid().ToString("N"), amount = $"{euros}.00", currency = "EUR",
            lines = new[] { new { sku = category + "-1", category, amount = $"{euros}.00", quantity = 1 } },
        });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
    }

    [Fact]
    public async Task ACoffeeBuyer_GetsTheCoffeeRewardFirst_AffordableBeforeUnaffordable_AndIneligibleRewardsAbsent()
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "purchase"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "1 per euro", trigger = "purchase", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var member = "rec-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        for (var i = 0; i < 5; i++) await BuyAsync(member, "coffee", 10);
        await BuyAsync(member, "Tea ", 10); // categories are compared normalised
        var balance = (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>();
        Assert.Equal("60", balance);

        // Ineligible: used up (per-member limit 1, redeemed below), inactive, another tier, out of stock, not yet valid,
        // expired, a profile attribute the member lacks.
        var once = await RewardAsync("Coffee sticker", 1, "coffee", new { perMemberLimit = 1 });
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = once })).Status);
        var ineligible = new[]
        {
            once,
            await RewardAsync("Inactive coffee", 10, "coffee", new { active = false }),
            await RewardAsync("Gold coffee", 10, "coffee", new { tiers = new[] { "gold" } }),
            await RewardAsync("Sold-out coffee", 10, "coffee", new { stock = 0 }),
            await RewardAsync("Future coffee", 10, "coffee", new { validFrom = DateTime.UtcNow.AddDays(10) }),
            await RewardAsync("Past coffee", 10, "coffee", new { validFrom = DateTime.UtcNow.AddDays(-10), validUntil = DateTime.UtcNow.AddDays(-1) }),
            await RewardAsync("VIP coffee", 10, "coffee", new { attributes = new { category = "coffee", segment = "vip" } }),
        };
        // Available is now 59: coffee is 50/60 of the spend (affinity 50), tea 10/60 (affinity 10).
        var mug = await RewardAsync("Coffee mug", 50, "Coffee");        // 50 + 40 (afford now) = 90
        var tin = await RewardAsync("Tea tin", 50, "tea");              // 10 + 40 = 50
        var sampler = await RewardAsync("Tea sampler", 80, "tea");      // 10 + 20 (59 >= 70% of 80) = 30
        var chest = await RewardAsync("Tea chest", 500, "tea");         // 10 + 0 = 10
        var plain = await RewardAsync("Tote bag", 59, null);            // 0 + 40 = 40

        var answer = await f.Api.GetAsync(f.P($"/members/{member}/recommendations?limit=10"), f.AdminKey);
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body?.ToJsonString());
        var list = answer.Body!["recommended"]!.AsArray().Select(x => x!).ToList();
        Assert.Equal([mug, tin, plain, sampler, chest], list.Select(x => x["rewardId"]!.GetValue<long>()).ToArray());
        Assert.Equal([90, 50, 40, 30, 10], list.Select(x => x["score"]!.GetValue<int>()).ToArray());
        Assert.Equal("50", list[0]["cost"]!.GetValue<string>());
        Assert.Equal("you bought coffee 5 times in 90 days; you can afford it now (59 of 50 points)", list[0]["reason"]!.GetValue<string>());
        Assert.Equal("you bought tea 1 time in 90 days; you are close (59 of 80 points)", list[3]["reason"]!.GetValue<string>());
        Assert.Equal("you bought tea 1 time in 90 days; you have 59 of 500 points", list[4]["reason"]!.GetValue<string>());
        Assert.DoesNotContain(list, x => ineligible.Contains(x["rewardId"]!.GetValue<long>()));

        Assert.Equal(2, (await f.Api.GetAsync(f.P($"/members/{member}/recommendations?limit=2"), f.AdminKey)).Body!["recommended"]!.AsArray().Count);
        // The category attribute describes the reward; it is no eligibility condition: the mug redeems.
        var redeemed = await f.Api.PostAsync(f.P($"/members/{member}/redemptions"), f.AdminKey, new { rewardId = mug });
        Assert.True(redeemed.Status == HttpStatusCode.Created, redeemed.Body?.ToJsonString());
    }

    [Fact]
    public async Task Recommendations_RefuseBadInputWithCodes()
    {
        var member = "rec-bad-" + Guid.NewGuid().ToString("N")[..8];
        await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        foreach (var limit in new[] { "0", "51", "-1", "1e1", "x" })
        {
            var r = await f.Api.GetAsync(f.P($"/members/{member}/recommendations?limit={limit}"), f.AdminKey);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal("INVALID_LIMIT", r.Body!["code"]!.GetValue<string>());
        }
        var unknown = await f.Api.GetAsync(f.P("/members/nobody-here/recommendations"), f.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("UNKNOWN_MEMBER", unknown.Body!["code"]!.GetValue<string>());
        var empty = await f.Api.GetAsync(f.P($"/members/{member}/recommendations"), f.AdminKey);
        Assert.Equal(HttpStatusCode.OK, empty.Status);
    }
}
