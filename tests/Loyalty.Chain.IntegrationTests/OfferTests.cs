using System.Net;
using System.Text.Json.Nodes;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Personal offers and segment uses (rule condition at intake, reward eligibility) on a real node and SQLite file.</summary>
public sealed class OfferTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    private static string Code((HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response) r) => r.Body?["code"]?.GetValue<string>() ?? $"<{r.Status}>";

    private async Task<string> MemberAsync(string tier, long points, string cohort)
    {
        var rules = (await f.Api.GetAsync(f.P("/rules"), f.AdminKey)).Body!.AsArray();
        if (!rules.Any(r => r!["trigger"]!.GetValue<string>() == "gift"))
            await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "gift", trigger = "gift", effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var id = "m-" + Guid.NewGuid().ToString("N")[..10];
        var created = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = id, tier, attributes = new Dictionary<string, string> { ["cohort"] = cohort } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        if (points > 0)
            Assert.Equal(points.ToString(), (await f.Api.PostAsync(f.P("/events"), f.AdminKey,
                new { type = "gift", memberId = id, eventId = "gift-" + id, amount = $"{points}.00" })).Body!["points"]!.GetValue<string>());
        return id;
    }

    private async Task<long> GoldSegmentAsync(string cohort, string name)
    {
        var s = await f.Api.PostAsync(f.P("/segments"), f.AdminKey, new
            { name, definition = new { tiers = new[] { "Gold" }, attributes = new Dictionary<string, string> { ["cohort"] = cohort } } });
        Assert.Equal(HttpStatusCode.Created, s.Status);
        return s.Body!["id"]!.GetValue<long>();
    }

    private async Task<long> RewardAsync(long cost, long? segmentId = null)
    {
        var r = await f.Api.PostAsync(f.P("/rewards"), f.AdminKey, new { type = "DiscountCoupon", name = $"coupon {cost}", cost = cost.ToString(), segmentId });
        Assert.True(r.Status == HttpStatusCode.Created, r.Body?.ToJsonString());
        return r.Body!["id"]!.GetValue<long>();
    }

    private async Task<string> AvailableAsync(string member) =>
        (await f.Api.GetAsync(f.P($"/members/{member}"), f.AdminKey)).Body!["balance"]!["available"]!.GetValue<string>();

    private async Task<JsonArray> OffersOfAsync(string member) =>
        (await f.Api.GetAsync(f.P($"/members/{member}/offers"), f.AdminKey)).Body!["offers"]!.AsArray();

    [Fact]
    public async Task SegmentOffer_OnlyItsSegmentSeesIt_AndOnlyTheyPayTheOfferCost()
    {
        var cohort = Guid.NewGuid().ToString("N")[..8];
        var inside = await MemberAsync("Gold", 100, cohort);
        var outside = await MemberAsync("Silver", 100, cohort);
        var segment = await GoldSegmentAsync(cohort, "Gold coffee lovers");
        var reward = await RewardAsync(60);
        var offer = await f.Api.PostAsync(f.P("/offers"), f.AdminKey, new
        {
            name = "Gold price", description = "25 instead of 60", kind = "reward_price", segmentId = segment, rewardId = reward, cost = "25",
            startsAt = DateTime.UtcNow.AddMinutes(-5), endsAt = DateTime.UtcNow.AddDays(7),
        });
        Assert.True(offer.Status == HttpStatusCode.Created, offer.Body?.ToJsonString());
        var offerId = offer.Body!["id"]!.GetValue<long>();

        var seen = Assert.Single(await OffersOfAsync(inside), o => o!["id"]!.GetValue<long>() == offerId)!;
        Assert.Equal("reward_price", seen["kind"]!.GetValue<string>());
        Assert.Equal("60", seen["reward"]!["regularCost"]!.GetValue<string>());
        Assert.Equal("25", seen["reward"]!["cost"]!.GetValue<string>());
        Assert.Equal("segment 'Gold coffee lovers'", seen["why"]!.GetValue<string>());
        Assert.DoesNotContain(await OffersOfAsync(outside), o => o!["id"]!.GetValue<long>() == offerId);
        // The recommendations next to the offers price the reward as each member would pay it.
        static string? RecommendedCost(JsonNode body, long rewardId) => body["recommended"]!.AsArray()
            .SingleOrDefault(r => r!["rewardId"]!.GetValue<long>() == rewardId)?["cost"]!.GetValue<string>();
        Assert.Equal("25", RecommendedCost((await f.Api.GetAsync(f.P($"/members/{inside}/offers"), f.AdminKey)).Body!, reward));
        Assert.Equal("60", RecommendedCost((await f.Api.GetAsync(f.P($"/members/{outside}/offers"), f.AdminKey)).Body!, reward));

        var paidInside = await f.Api.PostAsync(f.P($"/members/{inside}/redemptions"), f.AdminKey, new { rewardId = reward }, "o1-" + inside);
        Assert.Equal(HttpStatusCode.Created, paidInside.Status);
        Assert.Equal("25", paidInside.Body!["cost"]!.GetValue<string>());
        Assert.Equal(offerId, paidInside.Body["offerId"]!.GetValue<long>());
        Assert.Equal("75", await AvailableAsync(inside));
        var paidOutside = await f.Api.PostAsync(f.P($"/members/{outside}/redemptions"), f.AdminKey, new { rewardId = reward }, "o1-" + outside);
        Assert.Equal(HttpStatusCode.Created, paidOutside.Status);
        Assert.Equal("60", paidOutside.Body!["cost"]!.GetValue<string>());
        Assert.Null(paidOutside.Body["offerId"]);
        Assert.Equal("40", await AvailableAsync(outside));

        // Ended: nobody sees it and the regular cost applies again.
        var ended = await f.Api.SendAsync(HttpMethod.Patch, f.P($"/offers/{offerId}"), f.AdminKey, new { active = false });
        Assert.Equal(HttpStatusCode.OK, ended.Status);
        Assert.DoesNotContain(await OffersOfAsync(inside), o => o!["id"]!.GetValue<long>() == offerId);
        var again = await f.Api.PostAsync(f.P($"/members/{inside}/redemptions"), f.AdminKey, new { rewardId = reward }, "o2-" + inside);
        Assert.Equal("60", again.Body!["cost"]!.GetValue<string>());
    }

    [Fact]
    public async Task MemberListOffer_TheLowestOfferApplies_AndOnlyListedMembersSeeIt()
    {
        var cohort = Guid.NewGuid().ToString("N")[..8];
        var listed = await MemberAsync("Silver", 100, cohort);
        var other = await MemberAsync("Silver", 100, cohort);
        var reward = await RewardAsync(50);
        foreach (var cost in new[] { "30", "20", "40" })
            Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/offers"), f.AdminKey, new
                { name = "for you " + cost, kind = "reward_price", memberIds = new[] { listed }, rewardId = reward, cost, endsAt = DateTime.UtcNow.AddDays(1) })).Status);
        var seen = await OffersOfAsync(listed);
        Assert.Equal(3, seen.Count(o => o!["reward"]?["id"]?.GetValue<long>() == reward));
        Assert.All(seen, o => Assert.Equal("personal offer (member list)", o!["why"]!.GetValue<string>()));
        Assert.DoesNotContain(await OffersOfAsync(other), o => o!["reward"]?["id"]?.GetValue<long>() == reward);
        Assert.Equal("20", (await f.Api.PostAsync(f.P($"/members/{listed}/redemptions"), f.AdminKey, new { rewardId = reward }, "l-" + listed)).Body!["cost"]!.GetValue<string>());
        Assert.Equal("50", (await f.Api.PostAsync(f.P($"/members/{other}/redemptions"), f.AdminKey, new { rewardId = reward }, "l-" + other)).Body!["cost"]!.GetValue<string>());
    }

    [Fact]
    public async Task BonusRuleOffer_ForAMemberList_AwardsOnlyListedMembers_WhileActive()
    {
        var cohort = Guid.NewGuid().ToString("N")[..8];
        var listed = await MemberAsync("Silver", 0, cohort);
        var other = await MemberAsync("Silver", 0, cohort);
        var trigger = "visit-" + cohort;
        var offer = await f.Api.PostAsync(f.P("/offers"), f.AdminKey, new
        {
            name = "visit bonus", kind = "bonus_rule", memberIds = new[] { listed }, endsAt = DateTime.UtcNow.AddDays(1),
            rule = new { name = "visit bonus", trigger, effect = new { kind = "Fixed", points = 10 } },
        });
        Assert.True(offer.Status == HttpStatusCode.Created, offer.Body?.ToJsonString());
        var offerId = offer.Body!["id"]!.GetValue<long>();
        var shown = Assert.Single(await OffersOfAsync(listed), o => o!["id"]!.GetValue<long>() == offerId)!;
        Assert.Equal(trigger, shown["rule"]!["trigger"]!.GetValue<string>());

        Task<string> Visit(string member, string n) => f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = trigger, memberId = member, eventId = $"{n}-{member}" })
            .ContinueWith(t => t.Result.Body!["points"]!.GetValue<string>());
        Assert.Equal("10", await Visit(listed, "v1"));
        Assert.Equal("0", await Visit(other, "v1"));
        // The offer's rule changes only through its offer: a PUT would drop the audience and pay everyone.
        var ruleId = offer.Body["ruleId"]!.GetValue<long>();
        var put = await f.Api.SendAsync(HttpMethod.Put, f.P($"/rules/{ruleId}"), f.AdminKey,
            new { name = "visit bonus", trigger, effect = new { kind = "Fixed", points = 10 } });
        Assert.Equal(HttpStatusCode.Conflict, put.Status);
        Assert.Equal("OFFER_RULE", put.Body!["code"]!.GetValue<string>());
        Assert.Equal("0", await Visit(other, "v1b"));
        await f.Api.SendAsync(HttpMethod.Patch, f.P($"/offers/{offerId}"), f.AdminKey, new { active = false });
        Assert.Equal("0", await Visit(listed, "v2"));
        Assert.Equal("INVALID_RULE", Code(await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
            { name = "x", trigger, conditions = new { offerId }, effect = new { kind = "Fixed", points = 1 } })));
    }

    [Fact]
    public async Task SegmentRuleCondition_GoldMembersWhoBoughtCoffeeIn30Days_EarnDoubleAtIntake()
    {
        var cohort = Guid.NewGuid().ToString("N")[..8];
        var gold = await MemberAsync("Gold", 0, cohort);
        var silver = await MemberAsync("Silver", 0, cohort);
        var lapsedGold = await MemberAsync("Gold", 0, cohort);
        var segment = await f.Api.PostAsync(f.P("/segments"), f.AdminKey, new
        {
            name = "Gold coffee lovers " + cohort,
            definition = new { tiers = new[] { "Gold" }, categoriesBought = new { any = new[] { "coffee" }, withinDays = 30 },
                attributes = new Dictionary<string, string> { ["cohort"] = cohort } },
        });
        var segmentId = segment.Body!["id"]!.GetValue<long>();
        var trigger = "buy-" + cohort;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = "1 per euro", trigger, effect = new { kind = "PerCurrencyUnit", points = 1, perMinorUnits = 100 } });
        var doubled = await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new
            { name = "double for gold coffee lovers", trigger, conditions = new { segments = new[] { segmentId } }, effect = new { kind = "Multiplier", multiplierNumerator = 2, multiplierDenominator = 1 } });
        Assert.Equal(HttpStatusCode.Created, doubled.Status);

        // Categories are recorded for any event type with lines; the segment reads them.
        async Task<string> Buy(string member, string n, string category, DateTime? at = null) =>
            (await f.Api.PostAsync(f.P("/events"), f.AdminKey, new
            {
                type = trigger, memberId = member, eventId = $"{n}-{member}", amount = "10.00", currency = "EUR", occurredAt = at,
                lines = new[] { new { sku = "s", category, amount = "10.00", quantity = 1 } },
            })).Body!["points"]!.GetValue<string>();
        Assert.Equal("10", await Buy(gold, "b1", "Coffee"));   // not in the segment before this purchase
        Assert.Equal("20", await Buy(gold, "b2", "tea"));      // in it now
        Assert.Equal("10", await Buy(silver, "b1", "coffee"));
        Assert.Equal("10", await Buy(silver, "b2", "coffee")); // bought coffee, but not Gold
        Assert.Equal("10", await Buy(lapsedGold, "b1", "coffee", DateTime.UtcNow.AddDays(-40)));
        Assert.Equal("10", await Buy(lapsedGold, "b2", "tea"));  // Gold, but the coffee is 40 days old
    }

    [Fact]
    public async Task RewardForASegment_RefusesOutsidersWithNotInSegment_AndChangesNothing()
    {
        var cohort = Guid.NewGuid().ToString("N")[..8];
        var inside = await MemberAsync("Gold", 50, cohort);
        var outside = await MemberAsync("Silver", 50, cohort);
        var reward = await RewardAsync(10, await GoldSegmentAsync(cohort, "gold " + cohort));
        var refused = await f.Api.PostAsync(f.P($"/members/{outside}/redemptions"), f.AdminKey, new { rewardId = reward }, "s-" + outside);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("NOT_IN_SEGMENT", Code(refused));
        Assert.Equal("50", await AvailableAsync(outside));
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P($"/members/{inside}/redemptions"), f.AdminKey, new { rewardId = reward }, "s-" + inside)).Status);
        Assert.Equal("40", await AvailableAsync(inside));
    }

    [Fact]
    public async Task InvalidOffers_AreRefusedWithCodes_AndChangeNothing()
    {
        var cohort = Guid.NewGuid().ToString("N")[..8];
        var member = await MemberAsync("Gold", 0, cohort);
        var reward = await RewardAsync(10);
        var segment = await GoldSegmentAsync(cohort, "v " + cohort);
        var end = DateTime.UtcNow.AddDays(1);
        var before = (await f.Api.GetAsync(f.P("/offers"), f.AdminKey)).Body!.AsArray().Count;
        (object Body, string Code)[] bad =
        [
            (new { name = "x", kind = "gift", segmentId = segment, endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", segmentId = segment, rewardId = reward, cost = "5" }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", rewardId = reward, cost = "5", endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", segmentId = segment, memberIds = new[] { member }, rewardId = reward, cost = "5", endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", segmentId = segment, rewardId = reward, cost = "-1", endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", segmentId = segment, rewardId = reward, cost = "5", startsAt = end, endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", memberIds = new string?[] { null }, rewardId = reward, cost = "5", endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "reward_price", memberIds = new[] { "nobody-here" }, rewardId = reward, cost = "5", endsAt = end }, "UNKNOWN_MEMBER"),
            (new { name = "x", kind = "reward_price", segmentId = 999999, rewardId = reward, cost = "5", endsAt = end }, "UNKNOWN_SEGMENT"),
            (new { name = "x", kind = "reward_price", segmentId = segment, rewardId = 999999, cost = "5", endsAt = end }, "UNKNOWN_REWARD"),
            (new { name = "x", kind = "bonus_rule", segmentId = segment, endsAt = end }, "INVALID_OFFER"),
            (new { name = "x", kind = "bonus_rule", segmentId = segment, endsAt = end, rule = new { name = "r", trigger = "", effect = new { kind = "Fixed", points = 1 } } }, "INVALID_RULE"),
            (new { name = "x", kind = "bonus_rule", segmentId = segment, endsAt = end,
                rule = new { name = "r", trigger = "t", conditions = new { segments = new[] { segment } }, effect = new { kind = "Fixed", points = 1 } } }, "INVALID_OFFER"),
        ];
        foreach (var (body, code) in bad)
            Assert.Equal(code, Code(await f.Api.PostAsync(f.P("/offers"), f.AdminKey, body)));
        Assert.Equal(before, (await f.Api.GetAsync(f.P("/offers"), f.AdminKey)).Body!.AsArray().Count);
        Assert.Equal("UNKNOWN_OFFER", Code(await f.Api.SendAsync(HttpMethod.Patch, f.P("/offers/999999"), f.AdminKey, new { active = false })));
    }
}
